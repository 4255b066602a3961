import type { Command } from 'commander';
import { UsageError, type CliIo } from './io.js';
import { readText, repeatable, writeText } from './files.js';
import { withManager } from './instance.js';
import { instanceDbConfig } from './instance-db.js';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
function month(name: string) {
  return (value: string): string => {
    if (!MONTH.test(value)) throw new UsageError(`${name} must be a month written YYYY-MM, not "${value}".`);
    return value;
  };
}

/** `usage-report`, `move-request` and `set-revocations`: the instance side of the offline trade (SPEC 18, 22). */
export function registerOffline(program: Command, io: CliIo): void {
  program
    .command('usage-report')
    .description("Write this instance's signed usage report (daily lines of code and users, monthly peaks) for the vendor.")
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .requiredOption('--out <file>', 'where to write the report')
    .option('--from <YYYY-MM>', 'first month (default: the last month of the previous report, or the first month recorded)', month('--from'))
    .option('--to <YYYY-MM>', 'last month (default: this month)', month('--to'))
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .action(async (opts: { db: string; out: string; from?: string; to?: string; publicKey?: string[] }) => {
      instanceDbConfig(opts.db, io.cwd); // refused before any file is read or written
      const report = await withManager(io, opts.db, opts.publicKey, (lm) => lm.usageReport({ from: opts.from, to: opts.to }));
      await writeText(io.cwd, opts.out, `${report.text}\n`, 'usage report');
      const { seq, period, serverId } = report.payload;
      io.stdout(`Usage report ${seq} of ${serverId} (${period.from} to ${period.to}) written to ${opts.out}. Send it to your vendor.\n`);
    });

  program
    .command('move-request')
    .description(
      'After the server ID changed (a moved or restored database): write a move request, signed by the instance key of the old server ID, for the vendor to issue a key for the new one.',
    )
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .requiredOption('--out <file>', 'where to write the move request')
    .option('--reason <text>', 'what happened to the database (default: the reason this instance recorded)')
    .option('--actor <name>', 'who asks, for the audit log', 'cli')
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .action(async (opts: { db: string; out: string; reason?: string; actor: string; publicKey?: string[] }) => {
      instanceDbConfig(opts.db, io.cwd); // refused before any file is read or written
      const request = await withManager(io, opts.db, opts.publicKey, (lm) => lm.moveRequest({ reason: opts.reason, actor: opts.actor }));
      await writeText(io.cwd, opts.out, `${request.text}\n`, 'move request');
      const { oldServerId, newServerId, lid } = request.payload;
      io.stdout(`Move request from ${oldServerId} to ${newServerId}${lid ? ` for license ${lid}` : ''} written to ${opts.out}. Send it to your vendor.\n`);
    });

  program
    .command('set-revocations')
    .description('Install a signed revocation list from the vendor: revoked licenses lose their commercial features.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .requiredOption('--file <file>', 'the revocation list file the vendor sent')
    .option('--actor <name>', 'who installs it, for the audit log', 'cli')
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .action(async (opts: { db: string; file: string; actor: string; publicKey?: string[] }) => {
      instanceDbConfig(opts.db, io.cwd); // refused before any file is read or written
      const list = await readText(io.cwd, opts.file, 'revocation list');
      const status = await withManager(io, opts.db, opts.publicKey, (lm) => lm.setRevocations(list, { actor: opts.actor }));
      io.stdout(`Revocation list installed. License state: ${status.state}.\n`);
      for (const w of status.warnings) io.stdout(`warning: ${w.code}: ${w.message}\n`);
    });
}
