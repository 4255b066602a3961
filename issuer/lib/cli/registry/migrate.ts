import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import knexFactory from 'knex';
import { knexConfigFromUrl, migrateCommand, UsageError, type CliIo } from 'license-manager/shared';
import { vendorMigrations, VENDOR_MIGRATIONS_TABLE } from '../../../migrations/index.js';
import { issuerVersion } from '../../version.js';
import { withRegistryOption } from './shared.js';

/** `vendor migrate --registry URL [--dry-run]`: the registry's migrations, listed or run (SPEC 24). */
export function registerVendorMigrate(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('migrate')
      .description('List (--dry-run) or run the pending migrations of the vendor registry, before starting portals of this version.')
      .option('--dry-run', 'only list the pending migrations; change nothing'),
  ).action(async (opts: { registry: string; dryRun?: boolean }) => {
    const config = knexConfigFromUrl(opts.registry, io.cwd);
    const filename = (config.connection as { filename?: string } | undefined)?.filename;
    // NOTE: migrating a mistyped path would make a new, empty registry beside the real one
    if (filename && filename !== ':memory:' && !existsSync(filename)) {
      throw new UsageError(`There is no SQLite registry at ${filename}; give the path of the vendor registry's database file.`);
    }
    const knex = knexFactory(config);
    try {
      await migrateCommand({
        knex,
        set: { tableName: VENDOR_MIGRATIONS_TABLE, migrations: vendorMigrations },
        url: opts.registry,
        dryRun: opts.dryRun === true,
        io,
        product: 'license-manager-issuer',
        version: issuerVersion,
        what: 'vendor registry',
      });
    } finally {
      await knex.destroy();
    }
  });
}
