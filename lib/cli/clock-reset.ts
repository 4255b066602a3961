import type { Command } from 'commander';
import knexFactory from 'knex';
import { instanceDbConfig } from './instance-db.js';
import { migrateLatest } from '../store/migrate.js';
import { resetMark } from '../store/clock-mark.js';
import { instanceMigrations } from '../../migrations/instance/index.js';
import { UsageError, type CliIo } from './io.js';

/**
 * `clock-reset --db URL --actor WHO` (SPEC 15.1): the way out after the clock mark was pushed
 * into the future (a clock that was years ahead when a node started). Sets the mark to now and
 * records who did it in the audit log; the page shows it for 30 days.
 */
export function registerClockReset(program: Command, io: CliIo): void {
  program
    .command('clock-reset')
    .description('Set the clock mark of an instance to now (after a clock that ran ahead), recorded in the audit log.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .requiredOption('--actor <name>', 'who resets it, for the audit log')
    .action(async (opts: { db: string; actor: string }) => {
      if (!opts.actor.trim()) throw new UsageError('--actor must name who resets the clock.');
      // NOTE: knex would create an empty SQLite file for a mistyped path.
      const knex = knexFactory(instanceDbConfig(opts.db, io.cwd));
      try {
        await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
        const reset = await resetMark(knex, io.now(), opts.actor);
        const was = reset.from === null ? 'no mark before' : `it was ${new Date(reset.from).toISOString()}`;
        io.stdout(`The clock mark is now ${new Date(reset.at).toISOString()} (${was}); recorded in the audit log as done by ${reset.actor}.\n`);
      } finally {
        await knex.destroy();
      }
    });
}
