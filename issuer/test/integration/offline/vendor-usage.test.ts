import { expect } from 'chai';
import type { Knex } from 'knex';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { usageInstance as instance } from '../../../../test/helpers/usage-instance.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { clockAt, openRegistry, vendorKeys } from '../registry/helpers.js';
import { randomBytes } from 'node:crypto';
import { dialectOf } from '../../../../lib/store/dialects/index.js';
import { deriveInstanceKey } from '../../../../lib/instance-key/derive.js';
import { generateUsageReport } from '../../../../lib/usage-report/generate.js';

withDbs('vendor usage import (SPEC 18.1)', (dbs) => {
  const clock = clockAt('2026-02-01T09:00:00Z');
  let registry: VendorRegistry;
  const open: Knex[] = [];
  beforeEach(async () => {
    registry = await openRegistry(await dbs.fresh('vusage'), clock.now);
  });
  afterEach(async () => {
    await registry.close();
    await Promise.all(open.splice(0).map((k) => k.destroy()));
  });

  async function subscribed() {
    const inst = await instance(dbs);
    open.push(inst.knex);
    const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
    const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-12-31', users: 10, loc: 1000 });
    clock.set('2026-01-01T09:00:00Z');
    await registry.issue({ privateJwk: (await vendorKeys()).privateJwk, subscription: sub.id, serverId: inst.serverId, tags: ['true-up'] });
    return { inst, sub };
  }

  it('an instance refuses a report ending in a month that has not begun (it would sign zero usage for months that have not happened)', async () => {
    const inst = await instance(dbs);
    open.push(inst.knex);
    await inst.snapshot('2026-01-10', 900, 8);
    const refused = await inst.report('2026-01-31T12:00:00Z', null, { to: '2026-03' }).then(
      () => null,
      (err: unknown) => err as { code?: string; message?: string },
    );
    expect(refused).to.include({ code: 'VALIDATION_FAILED' });
    expect(refused!.message).to.contain('2026-01');
    expect(await inst.knex('license_usage_reports').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);
    const report = await inst.report('2026-01-31T12:00:00Z', null, { from: '2026-01', to: '2026-01' });
    expect(report.payload).to.deep.include({ seq: 1, period: { from: '2026-01', to: '2026-01' } });
  });

  it('pins the instance key on the first report, keeps peaks, shows overage, and a report twice changes nothing', async () => {
    const { inst, sub } = await subscribed();
    await inst.snapshot('2026-01-10', 900, 8);
    await inst.snapshot('2026-01-20', 1300, 12);
    const first = await inst.report('2026-01-31T12:00:00Z');
    const r1 = await registry.importUsageReport(first.text);
    expect(r1).to.deep.include({ subscription: sub.id, seq: 1, pinned: true, duplicate: false, warnings: [], instanceKeyId: inst.instanceKey.kid });
    expect(await registry.importUsageReport(first.text)).to.deep.include({ duplicate: true, pinned: false });
    await inst.snapshot('2026-01-31', 1250, 9);
    await inst.snapshot('2026-02-05', 800, 14);
    const second = await inst.report('2026-02-28T12:00:00Z');
    expect(second.payload.period).to.deep.equal({ from: '2026-01', to: '2026-02' });
    expect((await registry.importUsageReport(second.text)).warnings).to.deep.equal([]);
    const shown = await registry.usage(sub.id);
    expect(shown.months).to.deep.equal([
      { month: '2026-01', peakLoc: 1300, peakUsers: 12, limitLoc: 1000, limitUsers: 10, overLoc: 300, overUsers: 2 },
      { month: '2026-02', peakLoc: 800, peakUsers: 14, limitLoc: 1000, limitUsers: 10, overLoc: 0, overUsers: 4 },
    ]);
    expect(shown.reports.map((r) => r.seq)).to.deep.equal([1, 2]);
    expect(shown.missing).to.deep.equal([]);
  });

  it('refuses a report signed by another instance key, a tampered payload and an unknown server ID, saying why', async () => {
    const { inst, sub } = await subscribed();
    await inst.snapshot('2026-01-10', 900, 8);
    await registry.importUsageReport((await inst.report('2026-01-31T12:00:00Z')).text);

    // the same server ID, but signed by another instance's key
    const foreignKey = deriveInstanceKey(randomBytes(32).toString('hex'), inst.serverId);
    const foreign = await generateUsageReport({
      knex: inst.knex,
      dialect: dialectOf(inst.knex),
      serverId: inst.serverId,
      instanceKey: foreignKey,
      license: null,
      now: new Date('2026-02-01T00:00:00Z'),
    });
    const e1 = await registry.importUsageReport(foreign.text).catch((e: unknown) => e);
    expect(e1).to.have.property('code', 'USAGE_REPORT_REJECTED');
    expect((e1 as Error).message)
      .to.include(foreignKey.kid)
      .and.include(inst.instanceKey.kid)
      .and.include(sub.id);

    // a payload changed after signing (a lower peak)
    const honest = await inst.report('2026-02-02T00:00:00Z');
    const [h, p, s] = honest.text.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { monthly: { peakLoc: number }[] };
    payload.monthly[0]!.peakLoc = 1;
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const e2 = await registry.importUsageReport(tampered).catch((e: unknown) => e);
    expect(e2).to.have.property('code', 'USAGE_REPORT_REJECTED');
    expect((e2 as Error).message).to.include('altered');

    // an instance no subscription knows
    const stranger = await instance(dbs);
    open.push(stranger.knex);
    const e3 = await registry.importUsageReport((await stranger.report('2026-02-01T00:00:00Z')).text).catch((e: unknown) => e);
    expect(e3).to.have.property('code', 'USAGE_REPORT_REJECTED');
    expect((e3 as Error).message).to.include(stranger.serverId);

    const e4 = await registry.importUsageReport('not a report').catch((e: unknown) => e);
    expect(e4).to.have.property('code', 'USAGE_REPORT_REJECTED');
    // nothing of the refused reports was kept
    expect((await registry.usage(sub.id)).reports.map((r) => r.seq)).to.deep.equal([1]);
  });

  it('a skipped report shows as a gap', async () => {
    const { inst, sub } = await subscribed();
    await inst.snapshot('2026-01-10', 100, 1);
    const one = await inst.report('2026-01-31T00:00:00Z');
    await inst.report('2026-02-28T00:00:00Z'); // generated, never sent
    const three = await inst.report('2026-03-31T00:00:00Z');
    await registry.importUsageReport(one.text);
    const r3 = await registry.importUsageReport(three.text);
    expect(r3.warnings).to.deep.equal(['Report 2 was never imported: a report is missing before this one.']);
    expect((await registry.usage(sub.id)).missing).to.deep.equal([2]);
  });
});
