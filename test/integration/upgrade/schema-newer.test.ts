/**
 * SPEC 24 "rolling upgrades", the old node's side: a node whose code is older than its database
 * (the database ran a migration this code does not know) starts, serves its snapshot, refuses
 * every write with SCHEMA_NEWER naming both versions, leaves the job to upgraded nodes, and never
 * migrates down. A later patch of the same minor only added, so there the old node keeps writing.
 * Also `license-manager migrate` and `migrate: false`.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import express from 'express';
import type { AddressInfo } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { createLicenseManager, type LicenseManager } from '../../../lib/index.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';
import { migrateLatest } from '../../../lib/store/migrate.js';
import { moduleVersion } from '../../../lib/version.js';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { readSchema } from '../../helpers/schema.js';
import { loadReleased, readDump } from '../../helpers/released-db.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const [major, minor] = moduleVersion.split('.').map(Number) as [number, number];
const NEXT_MINOR = `${major}.${minor + 1}.0`;
const NEXT_PATCH = `${major}.${minor}.99`;
const FUTURE = '999_from_a_newer_version';

/** What a newer version leaves behind: a migration this code does not know, an added column, its version. */
async function migrateAsNewer(knex: Knex, version: string): Promise<void> {
  await knex.schema.alterTable('license_keys', (t) => t.string('future_note', 32).nullable());
  await knex('license_migrations').insert({ name: FUTURE, batch: 99, migration_time: new Date() });
  await knex('license_migrations_version').where({ id: 1 }).update({ version });
}

function capture(cwd = process.cwd()) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: {},
    now: () => NOW,
    cwd,
  };
  return { io, out };
}

withDbs('a node older than its database (SCHEMA_NEWER)', (dbs) => {
  let vendor: TestVendor;
  const managers: LicenseManager[] = [];
  const knexes: Knex[] = [];
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(async () => {
    for (const lm of managers.splice(0)) await lm.stop();
    for (const k of knexes.splice(0)) await k.destroy();
  });
  const manager = (db: TestDb, more: { migrate?: boolean } = {}) => {
    const lm = createLicenseManager({
      db: db.url,
      publicKeys: [vendor.pair.publicJwk],
      productName: 'Scanner',
      baseUrl: 'https://scanner.example/admin/license',
      authorize: () => true,
      getGlobalAdmins: async () => [],
      now: () => NOW,
      ...more,
    });
    managers.push(lm);
    return lm;
  };
  const open = (db: TestDb) => {
    const k = knexFactory({ ...db.config, pool: { min: 0, max: 2 } });
    knexes.push(k);
    return k;
  };

  /** A database in use by this version with a license set, then migrated by `version`. */
  async function databaseOf(version: string) {
    const db = await dbs.fresh();
    const first = manager(db);
    await first.start();
    const key = await vendor.issue({ serverId: first.serverId, features: ['sso'], limits: { loc: 1000 } });
    await first.setLicense(key, { actor: 'ada' });
    await first.recordAnalysis({ project: 'api', branch: 'main', loc: 100 });
    const serverId = first.serverId;
    await first.stop();
    const knex = open(db);
    await migrateAsNewer(knex, version);
    return { db, knex, serverId };
  }

  it(`starts on a database migrated by ${NEXT_MINOR}, serves its license, refuses every write with SCHEMA_NEWER naming both versions`, async () => {
    const { db, knex, serverId } = await databaseOf(NEXT_MINOR);
    const before = {
      keys: await knex('license_keys').count({ n: '*' }),
      audit: await knex('license_audit').count({ n: '*' }),
      loc: await knex('license_loc_branches').select('*'),
      jobRuns: await knex('license_job_runs').count({ n: '*' }),
    };
    const lm = manager(db);
    await lm.start();
    expect(lm.serverId).to.equal(serverId);
    expect(lm.status().state).to.equal('active');
    expect(lm.hasFeature('sso')).to.equal(true);
    const warning = lm.status().warnings.find((w) => w.code === 'SCHEMA_NEWER');
    expect(warning?.message).to.include(NEXT_MINOR).and.include(moduleVersion).and.include(FUTURE);

    const refusals = [
      () => lm.setLicense('anything', { actor: 'ada' }), // refused before the key is judged: a refusal is logged, a write
      async () => lm.setLicense(await vendor.issue({ serverId: lm.serverId, features: ['audit'] }), { actor: 'ada' }),
      () => lm.setLocThreshold(70, { actor: 'ada' }),
      () => lm.recordAnalysis({ project: 'api', branch: 'main', loc: 5 }),
      () => lm.reportUsers(3),
      () => lm.usageReport(),
    ];
    for (const write of refusals) {
      const err = await write().then(
        () => undefined,
        (e: unknown) => e as { code?: string; status?: number; message: string },
      );
      expect(err?.code, String(write)).to.equal('SCHEMA_NEWER');
      expect(err?.status).to.equal(503);
      expect(err?.message).to.include(NEXT_MINOR).and.include(moduleVersion);
    }
    expect((await lm.runJob()).outcome).to.equal('skipped');
    expect((await lm.checkUsers(3)).allowed).to.equal(true); // a decision is a read: still answered, not recorded
    // nothing changed, nothing migrated down
    expect(await knex('license_keys').count({ n: '*' })).to.deep.equal(before.keys);
    expect(await knex('license_audit').count({ n: '*' })).to.deep.equal(before.audit);
    expect(await knex('license_loc_branches').select('*')).to.deep.equal(before.loc);
    expect(await knex('license_job_runs').count({ n: '*' })).to.deep.equal(before.jobRuns);
    expect(await knex('license_migrations').pluck('name')).to.include(FUTURE);
    expect(await knex.schema.hasColumn('license_keys', 'future_note')).to.equal(true);
    expect((await knex('license_migrations_version').first('version')).version).to.equal(NEXT_MINOR);
  });

  it('answers a write through the router with 503 SCHEMA_NEWER, and GET api/status with the warning', async () => {
    const { db } = await databaseOf(NEXT_MINOR);
    const lm = manager(db);
    await lm.start();
    const app = express().use('/lm', lm.router());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lm`;
      const status = await fetch(`${base}/api/status`);
      expect(status.status).to.equal(200);
      expect(((await status.json()) as { warnings: Array<{ code: string }> }).warnings.map((w) => w.code)).to.include('SCHEMA_NEWER');
      const put = await fetch(`${base}/api/loc-threshold`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ percent: 70 }),
      });
      const body = (await put.json()) as { error: { code: string; message: string } };
      expect([put.status, body.error.code], body.error.message).to.deep.equal([503, 'SCHEMA_NEWER']);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it(`keeps writing on a database migrated by a later patch (${NEXT_PATCH}): within a minor, migrations only add`, async () => {
    const { db, knex } = await databaseOf(NEXT_PATCH);
    const lm = manager(db);
    await lm.start();
    expect(lm.status().warnings.map((w) => w.code)).not.to.include('SCHEMA_NEWER');
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 150 });
    expect(lm.status().loc.used).to.equal(150);
    expect(await knex('license_migrations').pluck('name')).to.include(FUTURE);
  });

  it('with migrate: false, start() on a database that lacks migrations names the command to run; it starts once migrated', async () => {
    const db = await dbs.fresh();
    const refused = await manager(db, { migrate: false })
      .start()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(refused).to.be.instanceOf(TypeError);
    expect(refused?.message).to.include('license-manager migrate --db URL').and.include('"migrate" is false');
    const knex = open(db);
    await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations, moduleVersion });
    const lm = manager(db, { migrate: false });
    await lm.start();
    expect(lm.status().state).to.equal('none');
  });

  describe('license-manager migrate --db URL [--dry-run]', () => {
    const emptyDb = async () => {
      const db = await dbs.fresh();
      if (db.kind === 'sqlite') writeFileSync(db.name, '');
      return db;
    };
    const all = Object.keys(instanceMigrations).sort();

    it('lists every migration of an empty database and changes nothing; then runs them; then has nothing to do', async () => {
      const db = await emptyDb();
      const dry = capture();
      expect(await runCli(['migrate', '--db', db.url, '--dry-run'], dry.io), dry.out.stderr).to.equal(0);
      expect(dry.out.stdout).to.include(`${all.length} migrations pending:`).and.include('Dry run: nothing was changed');
      for (const name of all) expect(dry.out.stdout).to.include(`  ${name}\n`);
      expect(await readSchema(open(db))).to.deep.equal({});

      const run = capture();
      expect(await runCli(['migrate', '--db', db.url], run.io), run.out.stderr).to.equal(0);
      expect(run.out.stdout).to.include(`Applied ${all.length} migrations:`);
      const k = open(db);
      expect(await k('license_migrations').orderBy('id').pluck('name')).to.deep.equal(all);
      expect((await k('license_migrations_version').first('version')).version).to.equal(moduleVersion);

      const again = capture();
      expect(await runCli(['migrate', '--db', db.url], again.io), again.out.stderr).to.equal(0);
      expect(again.out.stdout).to.include(`It is up to date: ${all.length} migrations applied, none pending.`);
    });

    it('lists exactly the migrations released after 0.1.0 on a 0.1.0 database', async () => {
      const db = await dbs.fresh();
      if (db.kind === 'sqlite') writeFileSync(db.name, '');
      await loadReleased(open(db), '0.1.0', db.kind, 'instance');
      const released = new Set(readDump('0.1.0', db.kind, 'instance').migrations);
      const after = all.filter((n) => !released.has(n));
      const dry = capture();
      expect(await runCli(['migrate', '--db', db.url, '--dry-run'], dry.io), dry.out.stderr).to.equal(0);
      expect(dry.out.stdout).to.include('migrated by 0.1.0 or earlier');
      if (after.length === 0) expect(dry.out.stdout).to.include('It is up to date');
      else for (const name of after) expect(dry.out.stdout).to.include(`  ${name}\n`);
      for (const name of released) expect(dry.out.stdout).not.to.include(`  ${name}\n`);
    });

    it('refuses a database a newer version migrated: exit 1, SCHEMA_NEWER naming both versions, nothing migrated down', async () => {
      const { db, knex } = await databaseOf(NEXT_MINOR);
      const run = capture();
      expect(await runCli(['migrate', '--db', db.url], run.io)).to.equal(1);
      expect(run.out.stderr)
        .to.match(/^SCHEMA_NEWER: /)
        .and.include(NEXT_MINOR)
        .and.include(moduleVersion);
      expect(await knex('license_migrations').pluck('name')).to.include(FUTURE);
    });
  });
});
