import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { verifyLicenseKey } from '../../../../lib/keys/verify.js';
import { evaluateKey } from '../../../../lib/license/evaluate.js';
import { CodedError } from '../../../../lib/errors.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { clockAt, customerWithLicense, DAY, MINUTE, openRegistry, OTHER_ID, PROD_ID, vendorKeys } from './helpers.js';

// The production key of customerWithLicense: contract ends 2026-01-10, so exp is 2026-01-11T00:00Z
// and its 14-day grace period ends 2026-01-25T00:00Z.
const GRACE_ENDS = Date.parse('2026-01-25T00:00:00Z');

async function refusal(work: Promise<unknown>): Promise<CodedError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a LicenseError, but it resolved');
}

withDbs(
  'vendor registry: emergency licenses',
  (dbs) => {
    let registry: VendorRegistry;
    const clock = clockAt('2025-12-01T09:00:00Z');
    beforeEach(async () => {
      clock.set('2025-12-01T09:00:00Z');
      registry = await openRegistry(await dbs.fresh('vemg'), clock.now);
    });
    afterEach(async () => registry.close());

    async function emergencyAt(t: number, users = 7) {
      clock.set(new Date(t));
      const { privateJwk } = await vendorKeys();
      return registry.emergency({ privateJwk, account: 'Acme_Corp-A1001', users, email: 'ops@acme.example', issuedBy: 'bob', ticket: 'SUP-1234' });
    }

    it('is refused while the last license is still usable, up to the minute its grace period ends', async () => {
      await customerWithLicense(registry, clock);
      const err = await refusal(emergencyAt(GRACE_ENDS - MINUTE));
      expect(err.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
      expect(err.data.rule).to.equal('still_usable');
      expect(err.message).to.contain('still usable through 24 January 2026 (the last day of its grace period)');
      expect((await emergencyAt(GRACE_ENDS)).license.emergency).to.equal(true);
    });

    it('is allowed until 3 days after the grace period ended, to the minute', async () => {
      await customerWithLicense(registry, clock);
      expect((await emergencyAt(GRACE_ENDS + 3 * DAY - MINUTE)).license.type).to.equal('trial');
      expect((await emergencyAt(GRACE_ENDS + 3 * DAY)).license.type).to.equal('trial');
      const err = await refusal(emergencyAt(GRACE_ENDS + 3 * DAY + MINUTE));
      expect(err.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
      expect(err.data.rule).to.equal('grace_ended_too_long_ago');
      expect(err.message).to.contain('more than 3 days ago');
    });

    it('is refused for an account without a paid plan: free and trial are not paid', async () => {
      for (const plan of ['free', 'Trial']) {
        const local = await openRegistry(await dbs.fresh('vemg'), clock.now);
        try {
          const accountId = plan === 'free' ? 'F1' : 'T1';
          await customerWithLicense(local, clock, { plan, accountId });
          clock.set(new Date(GRACE_ENDS + DAY));
          const err = await refusal(
            local.emergency({
              privateJwk: (await vendorKeys()).privateJwk,
              account: `Acme_Corp-${accountId}`,
              users: 5,
              email: 'a@b.example',
              issuedBy: 'bob',
              ticket: 'T-1',
            }),
          );
          expect(err.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
          expect(err.data.rule).to.equal('no_paid_plan');
          expect(err.message).to.contain('no paid plan');
        } finally {
          await local.close();
        }
      }
    });

    it('is refused for a paid customer that was never issued a license', async () => {
      const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
      await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-01-10' });
      const err = await refusal(emergencyAt(GRACE_ENDS + DAY));
      expect(err.data.rule).to.equal('no_license');
      expect(err.message).to.contain('no license was ever issued');
    });

    it('does not let one emergency license make the account eligible for the next one', async () => {
      const { license } = await customerWithLicense(registry, clock);
      await emergencyAt(GRACE_ENDS + DAY); // runs until GRACE_ENDS + 11 days, grace 0
      const err = await refusal(emergencyAt(GRACE_ENDS + 12 * DAY));
      expect(err.data.rule).to.equal('grace_ended_too_long_ago');
      expect(err.message).to.contain(license.lid);
    });

    it('signs a 10-day trial for any server with generic information, recorded with who issued it and for which ticket', async () => {
      const { publicJwk } = await vendorKeys();
      const { sub } = await customerWithLicense(registry, clock);
      const issuedAt = GRACE_ENDS + DAY + 17_500; // not on a whole second: iat is floored
      const { license, emailed } = await emergencyAt(issuedAt, 7);
      const { payload } = await verifyLicenseKey(license.key, { publicKeys: [publicJwk] });
      expect(payload).to.deep.include({ type: 'trial', serverId: '*', licensee: 'Emergency license', grace: 0, sub: sub.id });
      expect(payload.limits).to.deep.equal({ users: 7, loc: 100_000 }); // the production license's lines-of-code limit (issue 23.1)
      expect(payload.email).to.equal(undefined);
      expect(payload.iat).to.equal(Math.floor(issuedAt / 1000));
      expect(payload.exp - payload.iat).to.equal(864_000);

      const tenDays = new Date(payload.iat * 1000 + 10 * DAY);
      for (const serverId of [PROD_ID, OTHER_ID]) {
        expect(evaluateKey(payload, serverId, new Date(payload.iat * 1000))).to.be.oneOf(['active', 'expiring']);
        expect(evaluateKey(payload, serverId, new Date(tenDays.getTime() - 1000))).to.be.oneOf(['active', 'expiring']);
        expect(evaluateKey(payload, serverId, tenDays)).to.equal('expired');
      }

      expect(emailed).to.equal(false); // no mailer given: recorded as a failure, the key still exists
      const listed = (await registry.list({ account: 'Acme_Corp-A1001' })).find((l) => l.emergency)!;
      expect(listed).to.deep.include({
        lid: payload.lid,
        issuedBy: 'bob',
        ticket: 'SUP-1234',
        emailTo: 'ops@acme.example',
        key: license.key,
        serverId: '*',
        type: 'trial',
      });
      expect(listed.emailOutcome).to.match(/^\[Failed\] - .*ops@acme\.example.*no SMTP server is configured/);
    });

    it('refuses an emergency request without a user count, ticket or issuer', async () => {
      await customerWithLicense(registry, clock);
      clock.set(new Date(GRACE_ENDS + DAY));
      const { privateJwk } = await vendorKeys();
      const base = { privateJwk, account: 'Acme_Corp-A1001', users: 5, email: 'a@b.example', issuedBy: 'bob', ticket: 'T-1' };
      for (const bad of [{ users: 0 }, { ticket: ' ' }, { issuedBy: '' }, { email: 'nobody' }, { account: 'Nobody-9' }]) {
        expect((await refusal(registry.emergency({ ...base, ...bad }))).code).to.equal('VALIDATION_FAILED');
      }
      expect(await registry.list()).to.have.length(1);
    });
  },
  ['sqlite', 'postgres'],
);
