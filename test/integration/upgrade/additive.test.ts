/**
 * SPEC 24 "rolling upgrades": every migration added since the latest release only adds (tables,
 * nullable or defaulted columns, non-unique indexes), so nodes of the release keep working on the
 * new schema while the cluster rolls. Judged on SQLite, PostgreSQL and MariaDB from what each
 * migration did to the schema, not from its source text.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import type { Migration } from '../../../lib/store/migrate.js';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { judgeMigrations } from '../../helpers/additive.js';
import { readDump, releasedVersions } from '../../helpers/released-db.js';

const latest = releasedVersions().at(-1)!;

/**
 * Migrations since the release that may change more than add, each with the reason a rolling
 * upgrade is still safe (or the release note that says to stop every node first). Empty is the goal.
 */
const ALLOWED: Record<string, string> = {};

/** Changes no migration may make, each a migration that the judge must refuse (so the test can fail). */
const destructive: Record<string, (t: Knex.AlterTableBuilder) => void> = {
  'drops a column': (t) => void t.dropColumn('set_by'),
  'adds a NOT NULL column without a default': (t) => void t.string('must_have', 10).notNullable(),
  'widens a column': (t) => void t.string('type', 32).notNullable().alter(),
  'adds a unique index': (t) => void t.unique(['lid'], { indexName: 'license_keys_lid_uq' }),
};

withDbs(`migrations since ${latest} only add`, (dbs) => {
  const knexes: Knex[] = [];
  const open = (db: TestDb) => {
    const k = knexFactory({ ...db.config, pool: { min: 0, max: 1 } });
    knexes.push(k);
    return k;
  };
  after(async () => {
    for (const k of knexes) await k.destroy();
  });

  it(`each instance migration added since ${latest} adds tables, nullable or defaulted columns and indexes only`, async function () {
    this.timeout(120_000);
    const baseline = readDump(latest, dbs.kind, 'instance').migrations;
    const findings = await judgeMigrations(open(await dbs.fresh()), {
      tableName: 'license_migrations',
      migrations: instanceMigrations,
      baseline,
      prefixes: ['license_'],
    });
    // every migration since the release was judged (none slipped into the baseline run)
    expect(Object.keys(findings)).to.include.members(Object.keys(instanceMigrations).filter((n) => !baseline.includes(n)));
    const refused = Object.fromEntries(Object.entries(findings).filter(([name, found]) => found.length > 0 && !ALLOWED[name]));
    expect(refused).to.deep.equal({});
  });

  it(`migrations added since ${latest} sort after its last one (knex runs pending ones in name order)`, () => {
    const baseline = readDump(latest, dbs.kind, 'instance').migrations;
    const last = [...baseline].sort().at(-1)!;
    const added = Object.keys(instanceMigrations).filter((n) => !baseline.includes(n));
    expect(added.filter((n) => n <= last)).to.deep.equal([]);
  });

  for (const [what, change] of Object.entries(destructive)) {
    it(`refuses a migration that ${what}`, async () => {
      const baseline = readDump(latest, dbs.kind, 'instance').migrations;
      const bad: Migration = { up: (knex) => knex.schema.alterTable('license_keys', change) };
      const findings = await judgeMigrations(open(await dbs.fresh()), {
        tableName: 'license_migrations',
        migrations: { ...instanceMigrations, '999_bad': bad },
        baseline,
        prefixes: ['license_'],
      });
      expect(findings['999_bad']).to.have.length.greaterThan(0);
    });
  }
});
