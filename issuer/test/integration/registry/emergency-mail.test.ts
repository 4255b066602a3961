import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { verifyLicenseKey } from '../../../../lib/keys/verify.js';
import { parseKey } from '../../../../lib/keys/parse.js';
import { smtpMailer } from '../../../lib/registry/index.js';
import { clockAt, customerWithLicense, DAY, openRegistry, vendorKeys } from './helpers.js';
import { closedSmtpUrl, startSmtp } from '../../../../test/helpers/smtp.js';

const GRACE_ENDS = Date.parse('2026-01-25T00:00:00Z');
const KEY_IN_TEXT = /-----BEGIN LICENSE KEY-----\s*([\s\S]+?)\s*-----END LICENSE KEY-----/;

withDbs(
  'vendor registry: emergency key by email',
  (dbs) => {
    it('mails the key to the requester through a real SMTP server and records the success', async () => {
      const smtp = await startSmtp();
      const clock = clockAt('2025-12-01T09:00:00Z');
      const registry = await openRegistry(await dbs.fresh('vmail'), clock.now, smtpMailer(smtp.url, { from: 'support@vendor.example' }));
      try {
        await customerWithLicense(registry, clock);
        clock.set(new Date(GRACE_ENDS + DAY));
        const { privateJwk, publicJwk } = await vendorKeys();
        const { license, emailed } = await registry.emergency({
          privateJwk,
          account: 'Acme_Corp-A1001',
          users: 12,
          email: 'ops@acme.example',
          issuedBy: 'bob',
          ticket: 'SUP-77',
        });
        expect(emailed).to.equal(true);
        expect(smtp.messages).to.have.length(1);
        const mail = smtp.messages[0]!.parsed!;
        expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').to.equal('ops@acme.example');
        expect(mail.subject).to.contain('SUP-77');
        const inMail = KEY_IN_TEXT.exec(mail.text ?? '')?.[1];
        expect(parseKey(inMail).compact).to.equal(license.key);
        expect((await verifyLicenseKey(inMail!, { publicKeys: [publicJwk] })).payload.limits.users).to.equal(12);
        const [, listed] = await registry.list();
        expect(listed!.emailOutcome).to.equal('[Success] - Created a license under ops@acme.example for 12 users');
      } finally {
        await registry.close();
        await smtp.stop();
      }
    });

    it('with SMTP down, still issues and records the key, and records why the mail failed', async () => {
      const clock = clockAt('2025-12-01T09:00:00Z');
      const registry = await openRegistry(await dbs.fresh('vmail'), clock.now, smtpMailer(await closedSmtpUrl()));
      try {
        await customerWithLicense(registry, clock);
        clock.set(new Date(GRACE_ENDS + DAY));
        const { privateJwk } = await vendorKeys();
        const { license, emailed } = await registry.emergency({
          privateJwk,
          account: 'Acme_Corp-A1001',
          users: 3,
          email: 'ops@acme.example',
          issuedBy: 'bob',
          ticket: 'SUP-78',
        });
        expect(emailed).to.equal(false);
        const [, listed] = await registry.list({ account: 'Acme_Corp-A1001' });
        expect(listed!.key).to.equal(license.key);
        expect(listed!.emailOutcome).to.match(/^\[Failed\] - Could not email the license to ops@acme\.example: .*ECONNREFUSED/);
      } finally {
        await registry.close();
      }
    });
  },
  ['sqlite', 'postgres'],
);
