import { createRequire } from 'node:module';
import { expect } from 'chai';
import { smtpOptionsFromUrl } from '../../../lib/notify/mailer.js';

// nodemailer's own URL reader, to check ours reads SMTP URLs the same way (ours exists so that
// options such as getSocket and timeouts can travel beside what the URL says)
const { parseConnectionUrl } = createRequire(import.meta.url)('nodemailer/lib/shared') as { parseConnectionUrl(url: string): Record<string, unknown> };

describe('SMTP URLs read as nodemailer reads them', () => {
  for (const url of [
    'smtp://127.0.0.1:2525',
    'smtps://mail.example.com',
    'smtp://user:p%40ss%3Aword@mail.example.com:587',
    'smtp://mail.example.com:25?pool=true&maxConnections=3&tls.rejectUnauthorized=false&name=scanner',
    'smtp://user@mail.example.com?ignoreTLS=true',
  ]) {
    it(url, () => {
      expect(smtpOptionsFromUrl(url)).to.deep.equal(parseConnectionUrl(url));
    });
  }
});
