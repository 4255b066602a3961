import { expect } from 'chai';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { copyDatabase } from '../../helpers/copy-db.js';
import { testVendor, DAY, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { connectionIdentity } from '../../../lib/server-id/identity.js';
import { runCli } from '../../../lib/cli/program.js';
import { datasetOf, serverIdOf } from '../../../lib/server-id/derive.js';

/** The server ID a production copy will get on this staging database. */
const stagingIdFor = (staging: TestDb, productionId: string) => serverIdOf(connectionIdentity(staging.config), datasetOf(productionId));

withDbs('production → staging sync', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('keeps a staging key dormant in production and makes it current on the staging copy after every re-copy', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const prodDb = await dbs.fresh();
    const stagingDb = await dbs.fresh();
    const prod = await managers.start(prodDb, vendor, clock);
    const stagingId = stagingIdFor(stagingDb, prod.serverId);
    await prod.setLicense(await vendor.issue({ serverId: prod.serverId, licensee: 'Acme production' }));
    await prod.setLicense(await vendor.issue({ serverId: stagingId, type: 'staging', licensee: 'Acme staging' }));

    expect(prod.status().license?.licensee).to.equal('Acme production');
    expect(prod.status().details.staging).to.equal(false);
    const dormant = (await prod.keyHistory()).find((k) => k.type === 'staging');
    expect(dormant).to.include({ current: false, state: 'wrong_server', serverId: stagingId });
    await managers.stopAll();

    for (const round of [1, 2]) {
      await copyDatabase(dbs, prodDb, stagingDb);
      const staging = await managers.start(stagingDb, vendor, clock);
      expect(staging.serverId, `copy ${round}`).to.equal(stagingId);
      expect(staging.status().state).to.equal('active');
      expect(staging.status().license?.licensee).to.equal('Acme staging');
      expect(staging.status().details.staging).to.equal(true);
      expect(staging.status().warnings.map((w) => w.code)).to.not.include('SERVER_ID_CHANGED');
      await managers.stopAll();
    }
  });

  it('refuses in production a staging key whose server ID does not carry its dataset part', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const prod = await managers.start(await dbs.fresh(), vendor, clock);
    const foreign = '1234ABCD-ZZZZZZZZZZZZZZZZZZZZ';
    const err = await prod.setLicense(await vendor.issue({ serverId: foreign, type: 'staging' })).catch((e: Error) => e);
    expect(err).to.have.property('code', 'SERVER_ID_MISMATCH');
    expect((err as Error).message)
      .to.include(foreign)
      .and.include(prod.serverId);
  });

  it('keeps a production key in force for 7 days after the database moves, once, with a banner', async () => {
    const clock = testClock('2026-11-20T18:00:00Z'); // a Friday night
    const oldDb = await dbs.fresh();
    const newDb = await dbs.fresh();
    const before = await managers.start(oldDb, vendor, clock);
    await before.setLicense(await vendor.issue({ serverId: before.serverId, features: ['sso'] }));
    await managers.stopAll();

    await copyDatabase(dbs, oldDb, newDb);
    const moved = await managers.start(newDb, vendor, clock);
    expect(moved.serverId).to.not.equal(before.serverId);
    expect(moved.status().state).to.equal('active');
    expect(moved.hasFeature('sso')).to.equal(true);
    const banner = moved.status().warnings.find((w) => w.code === 'SERVER_ID_CHANGED');
    expect(banner?.message).to.include(before.serverId).and.include(moved.serverId);
    expect(moved.status().details.bridgeUntil).to.equal('2026-11-27T18:00:00.000Z');

    clock.set(new Date(Date.parse('2026-11-27T18:00:00Z') - 1000));
    expect((await moved.refresh()).state).to.equal('active');
    clock.set('2026-11-27T18:00:00Z');
    expect((await moved.refresh()).state).to.equal('wrong_server');
    expect(moved.hasFeature('sso')).to.equal(false);
    await managers.stopAll();

    // once per key: a second move does not start another 7 days
    clock.set(new Date(Date.parse('2026-11-27T18:00:00Z') + DAY * 1000));
    const third = await dbs.fresh();
    await copyDatabase(dbs, newDb, third);
    const again = await managers.start(third, vendor, clock);
    expect(again.status().state).to.equal('wrong_server');
  });

  it('still grants the 7 days when the new server ID was first read by the CLI before the product started', async () => {
    const clock = testClock('2026-11-20T18:00:00Z');
    const oldDb = await dbs.fresh();
    const newDb = await dbs.fresh();
    const before = await managers.start(oldDb, vendor, clock);
    await before.setLicense(await vendor.issue({ serverId: before.serverId }));
    await managers.stopAll();
    await copyDatabase(dbs, oldDb, newDb);
    const io = { stdout: () => undefined, stderr: () => undefined, env: {}, now: clock.now, cwd: process.cwd() };
    expect(await runCli(['server-id', '--db', newDb.url], io)).to.equal(0);
    const moved = await managers.start(newDb, vendor, clock);
    expect(moved.status().state).to.equal('active');
    expect(moved.status().details.bridgeUntil).to.equal('2026-11-27T18:00:00.000Z');
  });
});
