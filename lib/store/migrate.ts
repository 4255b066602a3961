import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';

export interface Migration {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/** One set of migrations: the instance's (`license_migrations`) or the vendor registry's. */
export interface MigrationSet {
  tableName: string;
  migrations: Readonly<Record<string, Migration>>;
}

/** Where a database stands against the migrations this code knows (SPEC 24). */
export interface MigrationState {
  /** migrations the database has run, in the order it ran them */
  applied: string[];
  /** migrations this code has and the database has not run yet, in order */
  pending: string[];
  /** migrations the database has run that this code does not know: a newer version ran them */
  unknown: string[];
  /** the module version that last ran migrations on this database (null before 0.2.0) */
  migratedBy: string | null;
}

/** What migrateLatest did. */
export interface MigrationOutcome extends MigrationState {
  /** the migrations this call ran (empty when there was nothing to do, or the schema is newer) */
  ran: string[];
}

/**
 * The migrations table, its lock and the version row: knex's `tableName` and `tableName_lock`, and
 * ours, `tableName_version` (one row: the module version that last migrated and when).
 */
const tables = (set: MigrationSet) => ({ lock: `${set.tableName}_lock`, version: `${set.tableName}_version` });

const names = (set: MigrationSet) => Object.keys(set.migrations).sort();

/** Reads where the database stands; changes nothing (an empty database has everything pending). */
export async function migrationState(knex: Knex, set: MigrationSet): Promise<MigrationState> {
  const known = names(set);
  const applied = (await knex.schema.hasTable(set.tableName))
    ? ((await knex(set.tableName).orderBy('id').select('name')) as Array<{ name: string }>).map((r) => r.name)
    : [];
  const done = new Set(applied);
  const knownSet = new Set(known);
  return {
    applied,
    pending: known.filter((n) => !done.has(n)),
    unknown: applied.filter((n) => !knownSet.has(n)),
    migratedBy: await readMigratedBy(knex, set),
  };
}

async function readMigratedBy(knex: Knex, set: MigrationSet): Promise<string | null> {
  const { version } = tables(set);
  if (!(await knex.schema.hasTable(version))) return null;
  const row = (await knex(version).where({ id: 1 }).first('version')) as { version?: string } | undefined;
  return row?.version ?? null;
}

/**
 * Runs the pending migrations with knex's own migrator and a private migrations table, so the
 * host's `knex_migrations` is never touched. Migrations are modules compiled with the code (no
 * file-system lookup), so the same set runs from the sources and from `dist/`.
 *
 * A database that has run migrations this code does not know (a newer version of the module
 * migrated it) is left as it is: never migrated down, and knex's own check, which would fail with
 * "the migration directory is corrupt", is not reached. The caller decides what to do
 * (`unknown` is not empty; the manager serves read-only with SCHEMA_NEWER).
 */
export async function migrateLatest(
  knex: Knex,
  set: MigrationSet & { moduleVersion?: string; now?: () => Date /** called once when another node holds the migration lock */; onWait?: () => void },
): Promise<MigrationOutcome> {
  const before = await migrationState(knex, set);
  if (before.unknown.length > 0) return { ...before, ran: [] };
  if (before.pending.length === 0) {
    // a database migrated before versions were recorded (0.1.0) gets its version once
    if (before.migratedBy === null && set.moduleVersion) await recordVersion(knex, tables(set).version, set.moduleVersion, (set.now ?? (() => new Date()))());
    return { ...(before.migratedBy === null && set.moduleVersion ? await migrationState(knex, set) : before), ran: [] };
  }
  const { lock, version } = tables(set);
  const source: Knex.MigrationSource<string> = {
    getMigrations: async () => names(set),
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const m = set.migrations[name]!;
      return { up: m.up, down: m.down ?? (async () => undefined) };
    },
  };
  await ensureLockRow(knex, lock);
  const config = { migrationSource: source, tableName: set.tableName, lockTableName: lock } as Knex.MigratorConfig;
  // NOTE: nodes starting at once race for knex's migration lock; a loser fails at once with
  // MigrationLocked (knex does not wait), so it waits here and tries again, and then finds that
  // the winner ran everything: each migration runs once per cluster.
  let ran: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const [, log] = (await knex.migrate.latest(config)) as [number, string[]];
      ran = log;
      break;
    } catch (err) {
      // knex also races creating its own tables: "license_migrations already exists"
      const racing = (err as Error).name === 'MigrationLocked' || String((err as Error).message).includes(set.tableName);
      if (!racing) throw err;
      if (attempt >= 600) {
        throw new Error(
          `Another node has held the migration lock (${lock}) for 90 s. If no node is migrating (one died while it did), ` +
            `set is_locked to 0 in ${lock} and start again: the migrations are safe to run again.`,
          { cause: err },
        );
      }
      if (attempt === 0) set.onWait?.();
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
    }
  }
  if (ran.length > 0 && set.moduleVersion) await recordVersion(knex, version, set.moduleVersion, (set.now ?? (() => new Date()))());
  return { ...(await migrationState(knex, set)), ran };
}

/** The module version that migrated, kept in its own one-row table beside knex's two. */
async function recordVersion(knex: Knex, table: string, moduleVersion: string, at: Date): Promise<void> {
  if (!(await knex.schema.hasTable(table))) {
    try {
      await knex.schema.createTable(table, (t) => {
        t.integer('id').primary(); // always 1
        t.string('version', 64).notNullable();
        t.bigInteger('migrated_at').notNullable();
      });
    } catch (err) {
      if (!(await knex.schema.hasTable(table))) throw err; // another node created it: fine
    }
  }
  await knex(table).insert({ id: 1, version: moduleVersion, migrated_at: at.getTime() }).onConflict('id').merge();
}

/** The sentence and refusal of a node older than its database (SPEC 24). */
export function schemaNewerError(o: { moduleVersion: string; state: MigrationState; what?: string; product?: string }): LicenseError {
  const by = o.state.migratedBy ?? 'a newer version';
  return new LicenseError('SCHEMA_NEWER', {
    detail:
      `The ${o.what ?? 'database'} was upgraded by ${o.product ?? 'license-manager'} ${by}; this node runs ${o.moduleVersion}, which does not know ` +
      `${o.state.unknown.length === 1 ? 'its migration' : `${o.state.unknown.length} of its migrations`} (${o.state.unknown.join(', ')}). ` +
      'It serves the license read-only and changes nothing until it is upgraded too; it never migrates down.',
    data: { moduleVersion: o.moduleVersion, databaseVersion: o.state.migratedBy, unknown: o.state.unknown },
  });
}

/**
 * true when a node may keep writing on a schema with migrations it does not know: the version that
 * ran them is a later patch of the same minor version, whose migrations only add (SPEC 24,
 * checked by test/integration/upgrade/additive.test.ts).
 */
export function samePatchLine(moduleVersion: string, migratedBy: string | null): boolean {
  if (!migratedBy) return false;
  const minor = (v: string) => /^(\d+)\.(\d+)\./.exec(v)?.slice(1, 3).join('.');
  return minor(moduleVersion) !== undefined && minor(moduleVersion) === minor(migratedBy);
}

/**
 * knex creates its lock table and lock row with a check-then-insert; nodes starting at once on
 * an empty database can insert two rows, and then the lock can never be taken. One row with a
 * fixed primary key, inserted race-free before knex looks, prevents that.
 */
async function ensureLockRow(knex: Knex, lockTable: string): Promise<void> {
  if (!(await knex.schema.hasTable(lockTable))) {
    try {
      await knex.schema.createTable(lockTable, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
    } catch (err) {
      if (!(await knex.schema.hasTable(lockTable))) throw err; // another node created it: fine
    }
  }
  await knex(lockTable).insert({ index: 1, is_locked: 0 }).onConflict('index').ignore();
}
