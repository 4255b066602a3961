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
  await knex.migrate.latest({ migrationSource: source, tableName: options.tableName, lockTableName: `${options.tableName}_lock` } as Knex.MigratorConfig);
}
