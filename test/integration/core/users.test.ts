import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';

withDbs('users in use (SPEC 16)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('reportUsers shows in status().users on this node at once and on another node after its refresh', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const one = await managers.start(db, vendor, clock);
    const two = await managers.start(db, vendor, clock);
    expect(one.status().users).to.deep.equal({ used: 0, limit: null, reportedAt: null });
    await one.setLicense(await vendor.issue({ serverId: one.serverId, limits: { users: 20 } }));
    const status = await one.reportUsers(17);
    expect(status.users).to.deep.equal({ used: 17, limit: 20, reportedAt: '2026-11-23T12:00:00.000Z' });
    expect((await two.refresh()).users).to.deep.include({ used: 17, limit: 20 });
    for (const bad of [-1, 1.5, Number.NaN, '3' as unknown as number]) {
      expect(await one.reportUsers(bad).catch((e: Error) => e), String(bad)).to.have.property('code', 'VALIDATION_FAILED');
    }
    expect(one.status().users.used).to.equal(17); // nothing stored changed
  });

  it('checkUsers records an allowed count, not one a hard cap refuses; over a soft cap it warns in status()', async () => {
    const db = await dbs.fresh();
    const lm = await managers.start(db, vendor, testClock('2026-11-23T12:00:00Z'));
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, limits: { users: 5 } }));
    await lm.checkUsers(5);
    expect(lm.status().users.used).to.equal(5);
    expect(await lm.checkUsers(6).catch((e: Error) => e)).to.have.property('code', 'USER_LIMIT_EXCEEDED');
    expect(lm.status().users.used).to.equal(5);
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, limits: { users: 5 }, tags: ['true-up'] }));
    expect((await lm.checkUsers(8)).warning?.code).to.equal('USERS_OVER_LIMIT_SOFT');
    expect(lm.status().users.used).to.equal(8);
    expect(lm.status().warnings.map((w) => w.code)).to.include('USERS_OVER_LIMIT_SOFT');
  });

  it('the daily snapshot keeps users next to lines of code, with the limits in force', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const lm = await managers.start(db, vendor, clock);
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, limits: { users: 50, loc: 9000 } }));
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 1234 });
    await lm.reportUsers(12);
    await lm.runJob();
    clock.set('2026-11-24T12:00:00Z');
    await lm.reportUsers(14);
    await lm.runJob();
    expect(await lm.jobs.usersHistory(7)).to.deep.equal([
      { day: '2026-11-23', users: 12 },
      { day: '2026-11-24', users: 14 },
    ]);
    expect(await lm.jobs.locHistory(7)).to.deep.equal([
      { day: '2026-11-23', used: 1234 },
      { day: '2026-11-24', used: 1234 },
    ]);
    const rows = await lm.knex('license_loc_snapshots').orderBy('day').select('day', 'users', 'limit_loc', 'limit_users');
    expect(rows.map((r: Record<string, unknown>) => [r.day, Number(r.users), Number(r.limit_loc), Number(r.limit_users)])).to.deep.equal([
      ['2026-11-23', 12, 9000, 50],
      ['2026-11-24', 14, 9000, 50],
    ]);
  });
});
