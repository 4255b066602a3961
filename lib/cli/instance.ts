import type { Command } from 'commander';
import knexFactory from 'knex';
import { createLicenseManager, type LicenseManager } from '../manager.js';
import { instanceDbConfig, probeDatabase } from './instance-db.js';
import { publicKeysFrom } from './public-keys.js';
import { dialectOf } from '../store/dialects/index.js';
import { migrateLatest } from '../store/migrate.js';
import { instanceMigrations } from '../../migrations/instance/index.js';
import { connectionIdentity } from '../server-id/identity.js';
import { ensureServerId } from '../server-id/store.js';
import type { LicenseStatus } from '../license/types.js';
import { UsageError, type CliIo } from './io.js';
import { daysLeftText, formatDay, graceSentence, keyDates } from '../license/dates.js';
import { readText, repeatable } from './files.js';

export async function withManager<T>(io: CliIo, db: string, keyFiles: string[] | undefined, work: (lm: LicenseManager) => Promise<T>): Promise<T> {
  const config = instanceDbConfig(db, io.cwd);
  const publicKeys = await publicKeysFrom(io, keyFiles);
  await probeDatabase(config);
  const lm = createLicenseManager({
    db: config,
    publicKeys,
    productName: 'license-manager CLI',
    baseUrl: 'http://localhost/admin/license',
    now: io.now,
    env: io.env,
  });
  try {
    await lm.open();
    return await work(lm);
  } finally {
    await lm.stop();
  }
}

function printStatus(io: CliIo, status: LicenseStatus): void {
  const l = status.license;
  const dates = l ? keyDates(l, new Date(status.details.evaluatedAt), status.details.graceEndsAt ? Date.parse(status.details.graceEndsAt) / 1000 : null) : null;
  const lines = [
    `server ID:  ${status.serverId}`,
    `state:      ${status.state}`,
    l
      ? `license:    ${l.licensee} — ${l.edition} ${l.type}, valid until ${formatDay(dates!.validUntil)}${dates!.daysLeft > 0 ? ` (${daysLeftText(dates!.daysLeft)})` : ''}`
      : 'license:    none',
    dates && status.state === 'grace' ? `grace:      ${graceSentence(dates)}` : undefined,
    dates && status.state === 'not_yet_valid' ? `starts:     ${formatDay(dates.validFrom)}` : undefined,
    l ? `features:   ${l.features.join(', ') || '(none)'}` : undefined,
    `lines:      ${status.loc.used}${status.loc.limit !== null ? ` of ${status.loc.limit} (${status.loc.percent}%)` : ' (no limit)'}`,
    status.next
      ? `next:       ${status.next.licensee} — from ${formatDay(status.next.validFrom)}, valid until ${formatDay(status.next.validUntil)}`
      : undefined,
    status.extension
      ? `extension:  ${status.extension.used} of ${status.extension.uses} used (${status.extension.days} days each)${status.extension.available ? ': available now (license-manager extend)' : ''}`
      : undefined,
    ...status.warnings.map((w) => `warning:    ${w.code}: ${w.message}`),
  ];
  io.stdout(`${lines.filter(Boolean).join('\n')}\n`);
}

export function registerInstance(program: Command, io: CliIo): void {
  program
    .command('server-id')
    .description('Print the server ID of a database (created on first use).')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .action(async (opts: { db: string }) => {
      const knex = knexFactory(instanceDbConfig(opts.db, io.cwd));
      try {
        await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
        const { serverId } = await ensureServerId(knex, dialectOf(knex), connectionIdentity(knex), io.now());
        io.stdout(`${serverId}\n`);
      } finally {
        await knex.destroy();
      }
    });

  program
    .command('status')
    .description('Show the license state of an instance.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .option('--json', 'print the status object of the API')
    .action(async (opts: { db: string; publicKey?: string[]; json?: boolean }) => {
      const status = await withManager(io, opts.db, opts.publicKey, async (lm) => lm.status());
      if (opts.json) io.stdout(`${JSON.stringify(status, null, 2)}\n`);
      else printStatus(io, status);
    });

  program
    .command('set-license')
    .description('Verify a license key and make it the license of an instance.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .option('--key <key>', 'the license key')
    .option('--file <file>', 'a file holding the license key')
    .option('--actor <name>', 'who sets it, for the history', 'cli')
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .action(async (opts: { db: string; key?: string; file?: string; actor: string; publicKey?: string[] }) => {
      if (!opts.key === !opts.file) throw new UsageError('Give exactly one of --key or --file.');
      const key = opts.key ?? (await readText(io.cwd, opts.file!, 'license key'));
      const status = await withManager(io, opts.db, opts.publicKey, (lm) => lm.setLicense(key, { actor: opts.actor }));
      printStatus(io, status);
    });
}
