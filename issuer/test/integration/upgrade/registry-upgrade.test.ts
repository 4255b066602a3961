/**
 * SPEC 24 for the vendor registry, on SQLite, PostgreSQL and MariaDB: a 0.1.0 registry with the rows
 * 0.1.0's own code wrote (test/fixtures/schema/) upgraded equals a fresh one and keeps every row;
 * registry migrations since the release only add; tools older than the registry refuse it with
 * SCHEMA_NEWER; `license-manager vendor migrate --registry URL [--dry-run]`; the versions.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { migrateLatest } from 'license-manager/shared';
import type { CliIo } from '../../../../lib/cli/io.js';
import { moduleVersion } from '../../../../lib/version.js';
import { openVendorRegistry, type VendorRegistry } from '../../../lib/registry/index.js';
import { vendorMigrations, VENDOR_MIGRATIONS_TABLE } from '../../../migrations/index.js';
import { issuerVersion } from '../../../lib/version.js';
import { runCli } from '../../helpers/cli.js';
import { withDbs, type TestDb } from '../../../../test/helpers/dbs.js';
import { diffSchemas, readSchema } from '../../../../test/helpers/schema.js';
import { judgeMigrations } from '../../../../test/helpers/additive.js';
import { loadReleased, missingRows, readDump, readExpectations, releasedVersions } from '../../../../test/helpers/released-db.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const [major, minor] = issuerVersion.split('.').map(Number) as [number, number];
const NEXT_MINOR = `${major}.${minor + 1}.0`;
const FUTURE = '999_from_a_newer_issuer';

function capture() {
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
    cwd: process.cwd(),
  };
  return { io, out };
}

describe('versions', () => {
  it('both packages are 0.2.0, and the command line says so (--version, vendor --version)', async () => {
    const version = (path: string) => (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
    expect([version('../../../../package.json'), version('../../../package.json')]).to.deep.equal(['0.2.0', '0.2.0']);
    expect([moduleVersion, issuerVersion]).to.deep.equal(['0.2.0', '0.2.0']);
    for (const argv of [['--version'], ['vendor', '--version']]) {
      const c = capture();
      expect(await runCli(argv, c.io), argv.join(' ')).to.equal(0);
      expect(c.out.stdout.trim(), argv.join(' ')).to.equal('0.2.0');
    }
  });
});

withDbs('vendor registry upgrades', (dbs) => {
  const knexes: Knex[] = [];
  const registries: VendorRegistry[] = [];
  const open = (db: TestDb) => {
    const k = knexFactory({ ...db.config, pool: { min: 0, max: 2 } });
    knexes.push(k);
    return k;
  };
  after(async () => {
    for (const r of registries.splice(0)) await r.close();
    for (const k of knexes.splice(0)) await k.destroy();
  });

  for (const version of releasedVersions()) {
    it(`a ${version} registry upgraded equals a fresh one, keeps every row and still answers`, async function () {
      this.timeout(60_000);
      const kind = dbs.kind;
      const fresh = open(await dbs.fresh('lm_vfresh'));
      await migrateLatest(fresh, { tableName: VENDOR_MIGRATIONS_TABLE, migrations: vendorMigrations, moduleVersion: issuerVersion });
      const db = await dbs.fresh('lm_vup');
      const upgraded = open(db);
      const dump = await loadReleased(upgraded, version, kind, 'registry');
      expect(diffSchemas(dump.schema, await readSchema(upgraded, ['vendor_'])), `the frozen ${version} migrations`).to.deep.equal([]);

      const registry = await openVendorRegistry({ db: db.url, now: () => NOW });
      registries.push(registry);
      expect(diffSchemas(await readSchema(fresh, ['vendor_']), await readSchema(upgraded, ['vendor_']))).to.deep.equal([]);
      expect(await missingRows(upgraded, dump)).to.deep.equal([]);

      const e = readExpectations(version, kind);
      const licenses = await registry.list();
      expect(licenses.map((l) => l.lid)).to.include.members([e.issuedLid, e.revokedLid]);
      expect(licenses).to.have.length(dump.rows.vendor_licenses!.length);
      expect((await registry.revocations()).map((r) => r.lid)).to.deep.equal([e.revokedLid]);
      const sub = (dump.rows.vendor_usage_months![0] as { subscription: string }).subscription;
      expect((await registry.usage(sub)).months.map((m) => m.month)).to.deep.equal(dump.rows.vendor_usage_months!.map((m) => (m as { month: string }).month));
      expect((await upgraded('vendor_migrations_version').first('version')).version).to.equal(issuerVersion);
    });

    it(`each registry migration added since ${version} only adds`, async function () {
      this.timeout(120_000);
      const baseline = readDump(version, dbs.kind, 'registry').migrations;
      const findings = await judgeMigrations(open(await dbs.fresh()), {
        tableName: VENDOR_MIGRATIONS_TABLE,
        migrations: vendorMigrations,
        baseline,
        prefixes: ['vendor_'],
      });
      expect(Object.keys(findings)).to.include.members(Object.keys(vendorMigrations).filter((n) => !baseline.includes(n)));
      expect(Object.fromEntries(Object.entries(findings).filter(([, f]) => f.length > 0))).to.deep.equal({});
    });
  }

  it(`tools older than the registry refuse it with SCHEMA_NEWER naming both versions, and never migrate it down`, async () => {
    const db = await dbs.fresh();
    await openVendorRegistry({ db: db.url, now: () => NOW }).then((r) => r.close());
    const knex = open(db);
    await knex('vendor_migrations').insert({ name: FUTURE, batch: 99, migration_time: new Date() });
    await knex('vendor_migrations_version').where({ id: 1 }).update({ version: NEXT_MINOR });
    const err = await openVendorRegistry({ db: db.url, now: () => NOW }).then(
      (r) => r.close().then(() => undefined),
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(err?.code).to.equal('SCHEMA_NEWER');
    expect(err?.message).to.include(`license-manager-issuer ${NEXT_MINOR}`).and.include(issuerVersion).and.include(FUTURE);
    expect(await knex('vendor_migrations').pluck('name')).to.include(FUTURE);

    const cli = capture();
    expect(await runCli(['vendor', 'migrate', '--registry', db.url], cli.io)).to.equal(1);
    expect(cli.out.stderr).to.match(/^SCHEMA_NEWER: The vendor registry was upgraded by license-manager-issuer /);
  });

  it('vendor migrate --registry URL [--dry-run] lists, runs, then has nothing to do', async () => {
    const db = await dbs.fresh();
    if (db.kind === 'sqlite') writeFileSync(db.name, '');
    const all = Object.keys(vendorMigrations).sort();
    const dry = capture();
    expect(await runCli(['vendor', 'migrate', '--registry', db.url, '--dry-run'], dry.io), dry.out.stderr).to.equal(0);
    expect(dry.out.stdout).to.include(`this is license-manager-issuer ${issuerVersion}`).and.include(`${all.length} migrations pending:`);
    for (const name of all) expect(dry.out.stdout).to.include(`  ${name}\n`);
    expect(await readSchema(open(db), ['vendor_'])).to.deep.equal({});
    const run = capture();
    expect(await runCli(['vendor', 'migrate', '--registry', db.url], run.io), run.out.stderr).to.equal(0);
    expect(run.out.stdout).to.include(`Applied ${all.length} migrations:`);
    const again = capture();
    expect(await runCli(['vendor', 'migrate', '--registry', db.url], again.io)).to.equal(0);
    expect(again.out.stdout).to.include('It is up to date');
  });
});
