/**
 * What the portal asks of the registry, on every database: prospects, CRM IDs, hosted services
 * and entitlements, archive with revocation, approvals, the timeline, the webhook outbox.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { withDbs, type TestDb } from '../../../../test/helpers/dbs.js';
import { CodedError } from '../../../../lib/errors.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { deliverWebhooks, enqueueWebhook, outboxEntries } from '../../../lib/portal/webhook-outbox.js';
import { clockAt, customerWithLicense, DAY, openRegistry, PROD_ID, vendorKeys } from '../registry/helpers.js';

async function refusal(work: Promise<unknown>): Promise<CodedError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a LicenseError, but it resolved');
}

withDbs('vendor registry for the portal', (dbs) => {
  let registry: VendorRegistry;
  let db: TestDb;
  const clock = clockAt('2025-12-01T09:00:00Z');
  beforeEach(async () => {
    clock.set('2025-12-01T09:00:00Z');
    db = await dbs.fresh('vport');
    registry = await openRegistry(db, clock.now);
  });
  afterEach(async () => registry.close());

  it('searches customers by company or account ID, any case, and marks prospects', async () => {
    await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
    await registry.addCustomer({ company: 'Globex 100%_off', accountId: 'G7', prospect: true, actor: 'carol' });
    expect((await registry.searchCustomers({ query: 'acme' })).map((a) => a.name)).to.deep.equal(['Acme_Corp-A1001']);
    expect((await registry.searchCustomers({ query: 'g7' })).map((a) => a.prospect)).to.deep.equal([true]);
    expect((await registry.searchCustomers({ query: '%' })).map((a) => a.name)).to.deep.equal(['Globex_100_off-G7']);
    expect(await registry.searchCustomers({ query: '0%_' })).to.have.length(1);
    expect(await registry.searchCustomers({ query: '!' })).to.have.length(0);
    expect(await registry.searchCustomers()).to.have.length(2);
    const cleared = await registry.setProspect({ account: 'Globex_100_off-G7', prospect: false, actor: 'carol' });
    expect(cleared.prospect).to.equal(false);
  });

  it('turns hosted services on and off, readable through entitlements(), recorded in the timeline', async () => {
    const { sub } = await customerWithLicense(registry, clock);
    expect((await registry.entitlements(sub.id)).hostedServices).to.equal(false);
    await registry.setHostedServices({ subscription: sub.id, enabled: true, actor: 'erin' });
    await registry.setHostedServices({ subscription: sub.id, enabled: true, actor: 'erin' }); // no change, no event
    const e = await registry.entitlements(sub.id);
    expect(e).to.deep.include({ subscription: sub.id, account: 'Acme_Corp-A1001', active: true, hostedServices: true, ends: '2026-01-10' });
    const timeline = await registry.events({ subscription: sub.id });
    expect(timeline.map((t) => t.action)).to.deep.equal(['hosted_services_enabled', 'license_issued', 'subscription_added']);
    expect(timeline[0]!.actor).to.equal('erin');
    clock.set('2026-01-11T00:00:00Z'); // contract over: no hosted services
    expect(await registry.entitlements(sub.id)).to.deep.include({ active: false, hostedServices: false });
  });

  it('keeps the CRM subscription ID and the opportunity ID of a key', async () => {
    const account = await registry.addCustomer({ company: 'Initech', accountId: 'I1' });
    const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-12-31', crmSubscriptionId: 'a0B5e00000XyZ' });
    expect(sub.crmSubscriptionId).to.equal('a0B5e00000XyZ');
    const changed = await registry.setCrmSubscriptionId({ subscription: sub.id, crmSubscriptionId: 'a0B5e00000QQQ', actor: 'erin' });
    expect(changed.crmSubscriptionId).to.equal('a0B5e00000QQQ');
    const { privateJwk } = await vendorKeys();
    const l = await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, opportunityId: '006Qw00000ABC', users: 25, tags: ['true-up'] });
    expect(l.opportunityId).to.equal('006Qw00000ABC');
    expect(l.claims.limits).to.deep.equal({ users: 25 });
    expect(l.claims.tags).to.deep.equal(['true-up']);
  });

  it('preview checks every rule and stores nothing; a production key ends with its contract', async () => {
    const { sub } = await customerWithLicense(registry, clock);
    const before = await registry.licenses();
    const payload = await registry.preview({ subscription: sub.id, serverId: PROD_ID, features: ['sso'] });
    expect(payload.exp).to.equal(Date.parse('2026-01-11T00:00:00Z') / 1000);
    expect(await registry.licenses()).to.have.length(before.length);
    const err = await refusal(registry.preview({ subscription: sub.id, serverId: PROD_ID, expires: '2025-12-31' }));
    expect(err.code).to.equal('VALIDATION_FAILED');
    expect(err.message).to.contain('2026-01-10');
    expect((await refusal(registry.preview({ subscription: sub.id, serverId: '1A2B3C4D-QQQQQQQQQQQQQQQQQQQQ' }))).code).to.equal('SUBSCRIPTION_INSTANCE_TAKEN');
  });

  it('archiving revokes every license of the subscription with the reason, and issues nothing more', async () => {
    const { sub, license } = await customerWithLicense(registry, clock);
    clock.set('2025-12-02T09:00:00Z');
    const { revoked } = await registry.archiveSubscription({ subscription: sub.id, reason: 'Churned', actor: 'erin' });
    expect(revoked).to.deep.equal([license.lid]);
    const after = await registry.getLicense(license.lid);
    expect(after).to.deep.include({ revokeReason: 'Churned', revokedBy: 'erin' });
    expect(after.revokedAt?.toISOString()).to.equal('2025-12-02T09:00:00.000Z');
    const { privateJwk } = await vendorKeys();
    expect((await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID }))).message).to.contain('archived');
    expect((await registry.entitlements(sub.id)).active).to.equal(false);
    // revoking again changes nothing
    const again = await registry.revoke({ lid: license.lid, reason: 'twice', issuedBy: 'frank' });
    expect(again.reason).to.equal('Churned');
    expect((await registry.getLicense(license.lid)).revokedBy).to.equal('erin');
  });

  it('a prospect key waits for a sales approval, is issued once, and a prospect gets no emergency license', async () => {
    const account = await registry.addCustomer({ company: 'Hooli', accountId: 'H1', prospect: true });
    const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-06-30' });
    const { privateJwk } = await vendorKeys();
    const direct = await refusal(registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID }));
    expect(direct.data.rule).to.equal('prospect_approval');
    const request = await registry.requestLicense({ subscription: sub.id, serverId: PROD_ID, requestedBy: 'erin', tags: ['instance:test'] });
    expect(request.status).to.equal('pending');
    // issue 23.8: the Approvals list names the company sales approves for
    expect((await registry.licenseRequests())[0]).to.deep.include({ company: 'Hooli', account: account.name, status: 'pending' });
    const [a, b] = await Promise.allSettled([
      registry.approveLicense({ id: request.id, approvedBy: 'sam', privateJwk }),
      registry.approveLicense({ id: request.id, approvedBy: 'sam2', privateJwk }),
    ]);
    const ok = [a, b].filter((r) => r.status === 'fulfilled');
    expect(ok).to.have.length(1);
    expect(await registry.licenses({ subscription: sub.id })).to.have.length(1);
    const [decided] = await registry.licenseRequests();
    expect(decided).to.deep.include({ status: 'issued' });
    expect(decided!.lid).to.be.a('string');
    clock.set(new Date(Date.parse('2026-07-15T00:00:00Z') + 2 * DAY)); // within 3 days of the grace end
    const err = await refusal(registry.emergency({ privateJwk, account: account.name, users: 5, email: 'it@hooli.example', issuedBy: 'bob', ticket: 'T-1' }));
    expect(err.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
    expect(err.data.rule).to.equal('prospect');
    expect(err.message).to.contain('prospect');
  });

  it('the webhook outbox posts each entry once, retries a failure, and ignores the same key twice', async () => {
    const received: string[] = [];
    let fail = true;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (fail) {
          res.statusCode = 503;
          return res.end();
        }
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await enqueueWebhook(registry.db, { dedupeKey: 'license_issued:1', url, text: 'hello', now: clock.now() });
      await enqueueWebhook(registry.db, { dedupeKey: 'license_issued:1', url, text: 'hello again', now: clock.now() });
      expect(await deliverWebhooks(registry.db, clock.now)).to.equal(0);
      expect((await outboxEntries(registry.db))[0]).to.deep.include({ status: 'pending', attempts: 1, lastError: 'HTTP_503' });
      fail = false;
      const [first, second] = await Promise.all([deliverWebhooks(registry.db, clock.now), deliverWebhooks(registry.db, clock.now)]);
      expect(first + second).to.equal(1);
      expect(await deliverWebhooks(registry.db, clock.now)).to.equal(0);
      expect(received).to.deep.equal([JSON.stringify({ text: 'hello' })]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
