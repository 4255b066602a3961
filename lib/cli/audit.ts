import type { Command } from 'commander';
import knexFactory from 'knex';
import { LicenseError } from '../errors.js';
import { instanceDbConfig } from './instance-db.js';
import { parseAuditHead, verifyAudit, verifyAuditHead } from '../audit/index.js';
import { UsageError, type CliIo } from './io.js';

/**
 * `audit verify --db URL [--head COUNT:HASH]`: exit 0 when every hash holds (and the head
 * recorded elsewhere is still part of the chain), 1 naming the first entry that does not.
 */
export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('The tamper-evident audit log of an instance.');
  audit
    .command('verify')
    .description('Check the hash chain of the audit log; exit 1 naming the first entry whose hash does not hold.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .option('--head <count:hash>', 'a chain head recorded elsewhere (the "audit" of a usage report or a json webhook) that must still be part of the chain')
    .action(async (opts: { db: string; head?: string }) => {
      const anchor = opts.head === undefined ? undefined : parseAuditHead(opts.head);
      if (opts.head !== undefined && !anchor) {
        throw new UsageError(
          `--head must be COUNT:HASH, the entry count and the 64 hex characters of the hash, as a usage report or a webhook gives them ("${opts.head.slice(0, 80)}" is not).`,
        );
      }
      // NOTE: knex would create an empty SQLite file for a mistyped path, and an empty log verifies.
      const knex = knexFactory(instanceDbConfig(opts.db, io.cwd));
      try {
        if (!(await knex.schema.hasTable('license_audit'))) {
          throw new LicenseError('AUDIT_CHAIN_BROKEN', {
            detail: 'This database has no audit log (table license_audit): it is not a License Manager database, or the table was dropped.',
          });
        }
        const result = anchor ? await verifyAuditHead(knex, anchor) : await verifyAudit(knex);
        if (!result.ok) {
          throw new LicenseError('AUDIT_CHAIN_BROKEN', {
            detail: `The audit log does not hold at entry ${result.id}: ${result.reason} (${result.entries} entries before it verified).`,
            data: { id: result.id },
          });
        }
        const held = anchor ? `; the head ${anchor.entries}:${anchor.hash.slice(0, 12)}… recorded elsewhere is part of it` : '';
        io.stdout(`The audit log holds: ${result.entries} ${result.entries === 1 ? 'entry' : 'entries'} verified${held}.\n`);
      } finally {
        await knex.destroy();
      }
    });
}
