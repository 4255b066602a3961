import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import type { Command } from 'commander';
import knexFactory from 'knex';
import { createLicenseManager, type LicenseManager } from '../manager.js';
import { knexConfigFromUrl } from '../store/connect.js';
import { dialectOf } from '../store/dialects/index.js';
import { migrateLatest } from '../store/migrate.js';
import { instanceMigrations } from '../../migrations/instance/index.js';
import { connectionIdentity } from '../server-id/identity.js';
import { ensureServerId } from '../server-id/store.js';
import type { PublicJwk } from '../keys/jwk.js';
import type { LicenseStatus } from '../license/types.js';
import { UsageError, type CliIo } from './io.js';
import { daysLeftText, formatDay, graceSentence, keyDates } from '../license/dates.js';
import { readText, repeatable } from './files.js';

/** Vendor public keys from --public-key files or LICENSE_PUBLIC_KEYS_FILE: a JWK, a list, or a JWKS. */
export async function publicKeysFrom(io: CliIo, files: string[] | undefined): Promise<PublicJwk[]> {
  const paths = files?.length ? files : io.env.LICENSE_PUBLIC_KEYS_FILE ? [io.env.LICENSE_PUBLIC_KEYS_FILE] : [];
  if (paths.length === 0) throw new UsageError('Give the vendor public key with --public-key FILE or LICENSE_PUBLIC_KEYS_FILE.');
  const keys: PublicJwk[] = [];
  for (const path of paths) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readText(io.cwd, path, 'public key'));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`The public key file ${path} is not JSON.`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown[] }).keys ?? [parsed];
    keys.push(...(list as PublicJwk[]));
  }
  return keys;
}

/**
 * The knex config of an existing instance database: a SQLite path that does not exist is refused
 * instead of creating an empty database there (SPEC 15.6; an empty file is an empty database).
 */
export function existingDb(io: CliIo, url: string): Knex.Config {
  const config = knexConfigFromUrl(url, io.cwd);
  const filename = (config.connection as { filename?: string } | undefined)?.filename;
  if (filename && filename !== ':memory:' && !existsSync(filename)) {
    throw new UsageError(`There is no database at ${filename}: give the path of the instance's SQLite file (no database is created here).`);
  }
  return config;
}

export async function withManager<T>(io: CliIo, db: string, keyFiles: string[] | undefined, work: (lm: LicenseManager) => Promise<T>): Promise<T> {
  const lm = createLicenseManager({
    db: knexConfigFromUrl(db, io.cwd),
    publicKeys: await publicKeysFrom(io, keyFiles),
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
  const dates = l ? keyDates(l, new Date(status.details.evaluatedAt)) : null;
  const lines = [
    `server ID:  ${status.serverId}`,
    `state:      ${status.state}`,
    l ? `license:    ${l.licensee} — ${l.edition} ${l.type}, valid until ${formatDay(dates!.validUntil)}${dates!.daysLeft > 0 ? ` (${daysLeftText(dates!.daysLeft)})` : ''}` : 'license:    none',
    dates && status.state === 'grace' ? `grace:      ${graceSentence(dates)}` : undefined,
    dates && status.state === 'not_yet_valid' ? `starts:     ${formatDay(dates.validFrom)}` : undefined,
    l ? `features:   ${l.features.join(', ') || '(none)'}` : undefined,
    `lines:      ${status.loc.used}${status.loc.limit !== null ? ` of ${status.loc.limit} (${status.loc.percent}%)` : ' (no limit)'}`,
    ...status.warnings.map((w) => `warning:    ${w.code}: ${w.message}`),
  ];
  io.stdout(lines.filter(Boolean).join('\n') + '\n');
}

export function registerInstance(program: Command, io: CliIo): void {
  program
    .command('server-id')
    .description('Print the server ID of a database (created on first use).')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .action(async (opts: { db: string }) => {
      const knex = knexFactory(knexConfigFromUrl(opts.db, io.cwd));
      try {
        await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
        const { serverId } = await ensureServerId(knex, dialectOf(knex), connectionIdentity(knex), io.now());
        io.stdout(serverId + '\n');
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
      if (opts.json) io.stdout(JSON.stringify(status, null, 2) + '\n');
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
