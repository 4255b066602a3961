import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { withDbs } from '../../helpers/dbs.js';
import { copyDatabase } from '../../helpers/copy-db.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import type { LicenseManager } from '../../../lib/manager.js';
import { thumbprint } from '../../../lib/keys/jwk.js';

/** The instance key a usage report carries in its header. */
async function reportKeyId(lm: LicenseManager): Promise<string> {
  const { text } = await lm.usageReport();
  return thumbprint(JSON.parse(Buffer.from(text.split('.')[0]!, 'base64url').toString()).jwk);
}

withDbs('the instance key (SPEC 18.1)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('is one key for every node, shown in the support file; a moved database gets a new one with its new ID', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const db = await dbs.fresh();
    const [one, two] = await Promise.all([managers.start(db, vendor, clock), managers.start(db, vendor, clock)]);
    expect(one.instanceKeyId).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(two.instanceKeyId).to.equal(one.instanceKeyId);
    expect(await reportKeyId(two)).to.equal(one.instanceKeyId);

    const app = express();
    app.use('/admin/license', one.router());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license/api/support-info`);
      expect(((await res.json()) as { instanceKeyId: string }).instanceKeyId).to.equal(one.instanceKeyId);
      const bad = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license/api/usage-report?from=2026-13`);
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal('VALIDATION_FAILED');
    } finally {
      await new Promise((r) => server.close(r));
    }
    await managers.stopAll();

    const moved = await copyDatabase(dbs, db);
    const there = await managers.start(moved, vendor, clock);
    expect(there.serverId).to.not.equal(one.serverId);
    expect(there.instanceKeyId).to.not.equal(one.instanceKeyId);
  });

  it("a staging copy gets the same staging key after every re-sync, and production's key never signs for it", async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const prodDb = await dbs.fresh();
    const stagingDb = await dbs.fresh();
    const prod = await managers.start(prodDb, vendor, clock);
    const prodKey = prod.instanceKeyId;
    await managers.stopAll();
    const seen: string[] = [];
    for (const round of [1, 2]) {
      await copyDatabase(dbs, prodDb, stagingDb);
      const staging = await managers.start(stagingDb, vendor, clock);
      expect(staging.serverId, `copy ${round}`).to.not.equal(prod.serverId);
      expect(staging.instanceKeyId, `copy ${round}`).to.not.equal(prodKey);
      const report = await staging.usageReport();
      expect(report.payload.serverId).to.equal(staging.serverId);
      expect(await reportKeyId(staging)).to.equal(staging.instanceKeyId);
      seen.push(staging.instanceKeyId);
      await managers.stopAll();
    }
    expect(seen[1]).to.equal(seen[0]);
    // production keeps its own key after the copies
    expect((await managers.start(prodDb, vendor, clock)).instanceKeyId).to.equal(prodKey);
  });
});
