import type { Knex } from 'knex';

export interface Migration {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/**
 * Runs a set of migrations with knex's own migrator and a private migrations table, so the
 * host's `knex_migrations` is never touched. Migrations are modules compiled with the code (no
 * file-system lookup), so the same set runs from the sources and from `dist/`.
 */
export async function migrateLatest(
  knex: Knex,
  options: { tableName: string; migrations: Readonly<Record<string, Migration>> },
): Promise<void> {
  const names = Object.keys(options.migrations).sort();
  const source: Knex.MigrationSource<string> = {
    getMigrations: async () => names,
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const m = options.migrations[name]!;
      return { up: m.up, down: m.down ?? (async () => undefined) };
    },
  };
  await ensureLockRow(knex, `${options.tableName}_lock`);
  const config = { migrationSource: source, tableName: options.tableName, lockTableName: `${options.tableName}_lock` } as Knex.MigratorConfig;
  // NOTE: nodes starting at once race for the migration lock; the losers wait for the winner
  // and then find nothing left to do.
  for (let attempt = 0; ; attempt++) {
    try {
      await knex.migrate.latest(config);
      return;
    } catch (err) {
      // knex also races creating its own tables: "license_migrations already exists"
      const racing = (err as Error).name === 'MigrationLocked' || String((err as Error).message).includes(options.tableName);
      if (!racing || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
    }
  }
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
