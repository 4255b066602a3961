import type { Command } from 'commander';
import knexFactory from 'knex';
import { LicenseError } from '../errors.js';
import { instanceDbConfig } from './instance-db.js';
import { verifyAudit } from '../audit/index.js';
import type { CliIo } from './io.js';

/** `audit verify --db URL`: exit 0 when every hash holds, 1 naming the first entry that does not. */
export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('The tamper-evident audit log of an instance.');
  audit
    .command('verify')
    .description('Check the hash chain of the audit log; exit 1 naming the first entry whose hash does not hold.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .action(async (opts: { db: string }) => {
      // NOTE: knex would create an empty SQLite file for a mistyped path, and an empty log verifies.
      const knex = knexFactory(instanceDbConfig(opts.db, io.cwd));
      try {
        if (!(await knex.schema.hasTable('license_audit'))) {
          throw new LicenseError('AUDIT_CHAIN_BROKEN', { detail: 'This database has no audit log (table license_audit): it is not a License Manager database, or the table was dropped.' });
        }
        const result = await verifyAudit(knex);
        if (!result.ok) {
          throw new LicenseError('AUDIT_CHAIN_BROKEN', {
            detail: `The audit log does not hold at entry ${result.id}: ${result.reason} (${result.entries} entries before it verified).`,
            data: { id: result.id },
          });
        }
        io.stdout(`The audit log holds: ${result.entries} ${result.entries === 1 ? 'entry' : 'entries'} verified.\n`);
      } finally {
        await knex.destroy();
      }
    });
}
