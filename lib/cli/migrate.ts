import type { Command } from 'commander';
import knexFactory from 'knex';
import { instanceMigrations } from '../../migrations/instance/index.js';
import { instanceDbConfig } from './instance-db.js';
import type { CliIo } from './io.js';
import { migrateCommand } from './migrate-command.js';

/** `migrate --db URL [--dry-run]`: the instance's migrations (SPEC 24). */
export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('List (--dry-run) or run the pending database migrations of this version, before starting nodes that have migrate: false.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .option('--dry-run', 'only list the pending migrations; change nothing')
    .action(async (opts: { db: string; dryRun?: boolean }) => {
      // NOTE: like every command on an instance's database, a SQLite path that does not exist is refused, not created
      const knex = knexFactory(instanceDbConfig(opts.db, io.cwd));
      try {
        await migrateCommand({
          knex,
          set: { tableName: 'license_migrations', migrations: instanceMigrations },
          url: opts.db,
          dryRun: opts.dryRun === true,
          io,
        });
      } finally {
        await knex.destroy();
      }
    });
}
