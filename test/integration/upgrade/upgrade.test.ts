/**
 * SPEC 24 "upgrade equals fresh install": for every released version, the database its own
 * migrations built and its own code filled (test/fixtures/schema/<version>/) is upgraded the way a
 * host upgrades (the manager's start migrates it); its schema must then equal a fresh install's,
 * every row that version wrote must still be there, and the license must evaluate as that version
 * evaluated it.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createLicenseManager, type LicenseManager } from '../../../lib/index.js';
import { migrateLatest } from '../../../lib/store/migrate.js';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import { verifyAudit } from '../../../lib/audit/index.js';
import { deriveInstanceKey } from '../../../lib/instance-key/derive.js';
import { moduleVersion } from '../../../lib/version.js';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { diffSchemas, readSchema } from '../../helpers/schema.js';
import { loadReleased, missingRows, readDump, readExpectations, releasedVersions, type ReleasedDump } from '../../helpers/released-db.js';

const open = (db: TestDb): Knex => knexFactory({ ...db.config, pool: { min: 0, max: 2 } });

for (const version of releasedVersions()) {
  withDbs(`upgrade from ${version} equals a fresh install (instance)`, (dbs) => {
    const expected = (kind: TestDb['kind']) => readExpectations(version, kind);
    let fresh: Knex;
    let upgraded: Knex;
    let lm: LicenseManager;
    let dump: ReleasedDump;
    let secretBefore: string;

    before(async function () {
      this.timeout(60_000);
      const kind = dbs.kind;
      const [a, b] = [await dbs.fresh('lm_fresh'), await dbs.fresh('lm_up')];
      fresh = open(a);
      upgraded = open(b);
      await migrateLatest(fresh, { tableName: 'license_migrations', migrations: instanceMigrations, moduleVersion });
      dump = await loadReleased(upgraded, version, kind, 'instance');
      secretBefore = (await upgraded('license_identity').first('key_secret')).key_secret as string;
      const e = expected(kind);
      lm = createLicenseManager({
        db: b.url,
        publicKeys: [e.vendorPublicJwk],
        productName: 'Scanner',
        baseUrl: 'https://scanner.example/admin/license',
        authorize: () => true,
        getGlobalAdmins: async () => [],
        now: () => new Date(e.now),
      });
      await lm.open(); // what start() does to the database first: migrate, server ID, keys
    });
    after(async () => {
      await lm?.stop();
      await fresh?.destroy();
      await upgraded?.destroy();
    });

    it(`the ${version} migrations build the committed ${version} schema`, async () => {
      // the fixture's frozen migrations are the release's: rebuilt here, read back, equal to the dump
      const kind = dbs.kind;
      const again = open(await dbs.fresh('lm_rel'));
      try {
        await loadReleased(again, version, kind, 'instance');
        expect(diffSchemas(readDump(version, kind, 'instance').schema, await readSchema(again, ['license_']))).to.deep.equal([]);
      } finally {
        await again.destroy();
      }
    });

    it('the upgraded schema equals a fresh install: tables, columns, types, nullability, defaults, indexes, keys', async () => {
      const want = await readSchema(fresh, ['license_']);
      expect(Object.keys(want)).to.include.members(Object.keys(dump.schema));
      expect(diffSchemas(want, await readSchema(upgraded, ['license_']))).to.deep.equal([]);
    });

    it(`every row ${version} wrote is still there`, async () => {
      // the identity row was relocated to this test database when it was loaded (released-db.ts)
      expect(await missingRows(upgraded, dump, { license_identity: ['identity', 'checksum'] })).to.deep.equal([]);
      expect((await upgraded('license_identity').first('key_secret')).key_secret).to.equal(secretBefore);
    });

    it(`the license evaluates as ${version} evaluated it, with its usage and instance key`, () => {
      const e = expected(dbs.kind);
      const s = lm.status();
      expect(lm.serverId).to.equal(e.serverId);
      expect(s.state).to.equal(e.status.state);
      expect(s.license?.lid).to.equal(e.status.license?.lid).and.to.equal(e.issuedLid);
      expect(s.license?.features).to.deep.equal(e.status.license?.features);
      expect(s.loc.used).to.equal(e.status.loc.used);
      expect(s.loc.limit).to.equal(e.status.loc.limit);
      expect(s.loc.threshold).to.equal(e.status.loc.threshold);
      expect(s.users?.used).to.equal(e.status.users?.used);
      expect(lm.instanceKeyId).to.equal(deriveInstanceKey(secretBefore, e.serverId).kid);
    });

    it(`each stored key keeps the state ${version} gave it (current, retired, revoked)`, async () => {
      const e = expected(dbs.kind);
      const now = (await lm.keyHistory()).map((k) => ({ lid: k.lid, state: k.state, current: k.current, retired: k.retired }));
      const sort = (l: typeof now) => [...l].sort((x, y) => x.lid.localeCompare(y.lid));
      expect(sort(now)).to.deep.equal(sort(e.keys));
      expect(now.find((k) => k.lid === e.revokedLid)?.state).to.equal('revoked');
    });

    it('the audit chain verifies, and goes on verifying after new entries', async () => {
      const before = await verifyAudit(upgraded);
      expect(before).to.deep.include({ ok: true, entries: dump.rows.license_audit!.length });
      await lm.setLocThreshold(85, { actor: 'ops' });
      await lm.recordAnalysis({ project: 'new', branch: 'main', loc: 10 });
      expect(lm.status().loc.used).to.equal(expected(dbs.kind).status.loc.used + 10);
      expect(await verifyAudit(upgraded)).to.deep.include({ ok: true, entries: dump.rows.license_audit!.length + 1 });
    });

    it('records the module version that migrated', async () => {
      expect((await upgraded('license_migrations_version').first('version')).version).to.equal(moduleVersion);
    });
  });
}
