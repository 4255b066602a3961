import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { verifyLicenseKey } from '../../../../lib/keys/verify.js';
import { CodedError } from '../../../../lib/errors.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { clockAt, openRegistry, OTHER_ID, PROD_ID, STAGING_ID, vendorKeys } from './helpers.js';

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
  'vendor registry: accounts, subscriptions, issue rules',
  (dbs) => {
    let registry: VendorRegistry;
    const clock = clockAt('2026-03-01T12:00:00Z');
    beforeEach(async () => {
      clock.set('2026-03-01T12:00:00Z');
      registry = await openRegistry(await dbs.fresh('vreg'), clock.now);
    });
    afterEach(async () => registry.close());

    async function subscription(o: { ends?: string; plan?: string } = {}) {
      const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
      return registry.addSubscription({
        account: account.name,
        plan: o.plan ?? 'enterprise',
        ends: o.ends ?? '2026-12-31',
        users: 25,
        loc: 500_000,
        edition: 'datacenter',
      });
    }

    it('names a customer account Company_Name-UniqueAccountID and refuses an account ID used by another company', async () => {
      const account = await registry.addCustomer({ company: '  Acme   Corp ', accountId: 'A1001' });
      expect(account.name).to.equal('Acme_Corp-A1001');
      expect((await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' })).name).to.equal('Acme_Corp-A1001');
      const err = await refusal(registry.addCustomer({ company: 'Globex', accountId: 'A1001' }));
      expect(err.code).to.equal('VALIDATION_FAILED');
      expect(err.message).to.contain('Acme_Corp-A1001');
    });

    it('records a subscription with its plan, contract end and limits under the account', async () => {
      const sub = await subscription();
      expect(sub).to.include({
        account: 'Acme_Corp-A1001',
        plan: 'enterprise',
        ends: '2026-12-31',
        users: 25,
        loc: 500_000,
        edition: 'datacenter',
        productionServerId: null,
      });
      expect(sub.id).to.match(/^[0-9a-f-]{36}$/);
      expect(sub.createdAt.toISOString()).to.equal('2026-03-01T12:00:00.000Z');
      const err = await refusal(registry.addSubscription({ account: 'Nobody-1', plan: 'enterprise', ends: '2026-12-31' }));
      expect(err.code).to.equal('VALIDATION_FAILED');
    });

    it('carries the self-service extension asked for into the key and the registry (SPEC 22), and refuses one out of range', async () => {
      const { privateJwk, publicJwk } = await vendorKeys();
      const sub = await subscription();
      const refused = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, extension: { days: 31, uses: 1 } }));
      expect(refused.code).to.equal('VALIDATION_FAILED');
      expect(refused.message).to.equal('A self-service extension gives 1 to 30 days per use.');
      expect(await registry.list({ account: 'Acme_Corp-A1001' })).to.have.length(0);
      const issued = await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, extension: { days: 10, uses: 2 } });
      expect((await verifyLicenseKey(issued.key, { publicKeys: [publicJwk] })).payload.ext).to.deep.equal({ days: 10, uses: 2 });
      expect((await registry.list({ account: 'Acme_Corp-A1001' }))[0]!.claims.ext).to.deep.equal({ days: 10, uses: 2 });
    });

    it('issues a production key that expires at the contract end, with the subscription limits and the given tags', async () => {
      const { privateJwk, publicJwk } = await vendorKeys();
      const sub = await subscription({ ends: '2026-12-31' });
      const issued = await registry.issue({
        privateJwk,
        subscription: sub.id,
        serverId: PROD_ID,
        features: ['sso'],
        tags: ['true-up', 'instance:test'],
        issuedBy: 'alice',
      });
      const { payload } = await verifyLicenseKey(issued.key, { publicKeys: [publicJwk] });
      expect(payload.exp).to.equal(Date.UTC(2027, 0, 1) / 1000); // the midnight UTC that ends 2026-12-31
      expect(payload).to.deep.include({ sub: sub.id, serverId: PROD_ID, type: 'production', licensee: 'Acme Corp', edition: 'datacenter', features: ['sso'] });
      expect(payload.limits).to.deep.equal({ users: 25, loc: 500_000 });
      expect(payload.tags).to.deep.equal(['true-up', 'instance:test']);
      expect(payload.iat).to.equal(Date.parse('2026-03-01T12:00:00Z') / 1000);
      const [listed] = await registry.list({ account: 'Acme_Corp-A1001' });
      expect(listed).to.deep.include({
        lid: payload.lid,
        subscription: sub.id,
        account: 'Acme_Corp-A1001',
        type: 'production',
        serverId: PROD_ID,
        issuedBy: 'alice',
        key: issued.key,
        emergency: false,
      });
      expect(listed!.claims).to.deep.equal(payload);
      expect(listed!.issuedAt.toISOString()).to.equal('2026-03-01T12:00:00.000Z');
    });

    it('refuses a production key for a second server ID under one subscription, naming both IDs; a renewal for the same ID is fine', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription();
      await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
      clock.set('2026-06-01T00:00:00Z');
      const renewal = await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID.toLowerCase() });
      expect(renewal.serverId).to.equal(PROD_ID);
      const err = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: OTHER_ID }));
      expect(err.code).to.equal('SUBSCRIPTION_INSTANCE_TAKEN');
      expect(err.message).to.contain(PROD_ID).and.to.contain(OTHER_ID);
      expect((await registry.list()).map((l) => l.serverId)).to.deep.equal([PROD_ID, PROD_ID]); // the refused one is not recorded
      expect((await registry.getSubscription(sub.id)).productionServerId).to.equal(PROD_ID);
    });

    it('binds only one production instance when two first keys are issued at once', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription();
      const results = await Promise.allSettled([
        registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID }),
        registry.issue({ privateJwk, subscription: sub.id, serverId: OTHER_ID }),
      ]);
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).to.have.length(1);
      expect(((refused[0] as PromiseRejectedResult).reason as CodedError).code).to.equal('SUBSCRIPTION_INSTANCE_TAKEN');
      expect(await registry.list()).to.have.length(1);
    });

    it('renews a subscription: the next key of the same instance follows the new contract end and limits', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription({ ends: '2026-12-31' });
      await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
      const renewed = await registry.renewSubscription({ subscription: sub.id, ends: '2027-12-31', users: 30 });
      expect(renewed).to.include({ ends: '2027-12-31', users: 30, loc: 500_000, productionServerId: PROD_ID });
      const next = await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
      expect(next.claims.exp).to.equal(Date.UTC(2028, 0, 1) / 1000);
      expect(next.claims.limits).to.deep.equal({ users: 30, loc: 500_000 });
    });

    it('gives each instance its own subscription: another running subscription cannot take a bound production instance', async () => {
      const { privateJwk } = await vendorKeys();
      const first = await subscription({ ends: '2026-06-30' });
      const second = await registry.addSubscription({ account: 'Acme_Corp-A1001', plan: 'enterprise', ends: '2027-06-30' });
      await registry.issue({ privateJwk, subscription: first.id, serverId: PROD_ID });
      const err = await refusal(registry.issue({ privateJwk, subscription: second.id, serverId: PROD_ID }));
      expect(err.code).to.equal('SUBSCRIPTION_INSTANCE_TAKEN');
      expect(err.message).to.contain(first.id).and.to.contain(PROD_ID);
      clock.set('2026-07-01T00:00:00Z'); // the first contract has ended: the instance may move
      const moved = await registry.issue({ privateJwk, subscription: second.id, serverId: PROD_ID });
      expect(moved.claims.sub).to.equal(second.id);
    });

    it('issues staging keys only for server IDs that share the production dataset part', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription();
      const before = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: STAGING_ID, type: 'staging' }));
      expect(before.code).to.equal('VALIDATION_FAILED');
      expect(before.message).to.contain('production key first');
      await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
      const staging = await registry.issue({ privateJwk, subscription: sub.id, serverId: STAGING_ID, type: 'staging', tags: ['instance:test'] });
      expect(staging.claims).to.deep.include({ type: 'staging', serverId: STAGING_ID, exp: Date.UTC(2027, 0, 1) / 1000, tags: ['instance:test'] });
      const mismatch = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: OTHER_ID, type: 'staging' }));
      expect(mismatch.code).to.equal('SERVER_ID_MISMATCH');
      expect(mismatch.message).to.contain(OTHER_ID).and.to.contain(PROD_ID);
      const itself = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, type: 'staging' }));
      expect(itself.code).to.equal('VALIDATION_FAILED');
    });

    it('refuses a key once the contract has ended, to the second', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription({ ends: '2026-03-01' });
      clock.set('2026-03-01T23:59:59Z');
      await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
      clock.set('2026-03-02T00:00:00Z');
      const err = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID }));
      expect(err.code).to.equal('VALIDATION_FAILED');
      expect(err.message).to.contain('ran through 1 March 2026 (its last day)');
    });

    it('refuses what is not a server ID or a subscription', async () => {
      const { privateJwk } = await vendorKeys();
      const sub = await subscription();
      expect((await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: '1A2B3C4D' }))).code).to.equal('VALIDATION_FAILED');
      expect((await refusal(registry.issue({ privateJwk, subscription: 'nope', serverId: PROD_ID }))).code).to.equal('VALIDATION_FAILED');
    });
  },
  ['sqlite', 'postgres'],
);
