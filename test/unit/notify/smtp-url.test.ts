import { expect } from 'chai';
import { smtpOptionsFromUrl } from '../../../lib/notify/mailer.js';

// SMTP URLs are read by nodemailer's own parser (issue 22 item 5); these are the readings the
// mailer relies on, written out, so a change of parser that reads them otherwise fails here
describe('SMTP URLs read as nodemailer reads them', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['smtp://127.0.0.1:2525', { secure: false, host: '127.0.0.1', port: 2525 }],
    ['smtps://mail.example.com', { secure: true, host: 'mail.example.com' }],
    ['smtp://user:p%40ss%3Aword@mail.example.com:587', { secure: false, host: 'mail.example.com', port: 587, auth: { user: 'user', pass: 'p@ss:word' } }],
    [
      'smtp://mail.example.com:25?pool=true&maxConnections=3&tls.rejectUnauthorized=false&name=scanner',
      { secure: false, host: 'mail.example.com', port: 25, pool: true, maxConnections: 3, tls: { rejectUnauthorized: false }, name: 'scanner' },
    ],
    ['smtp://user@mail.example.com?ignoreTLS=true', { secure: false, host: 'mail.example.com', auth: { user: 'user', pass: '' }, ignoreTLS: true }],
  ];
  for (const [url, expected] of cases) {
    it(url, () => {
      expect(smtpOptionsFromUrl(url)).to.deep.equal(expected);
    });
  }
});
