import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import type { IssuedLicense } from '../../registry/types.js';
import { withRegistry, withRegistryOption } from './shared.js';

const day = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function describe(l: IssuedLicense): string {
  const kind = l.emergency ? 'emergency' : l.type;
  const lines = [
    `${day(l.issuedAt)}  ${kind.padEnd(10)} ${l.account}  lid ${l.lid}`,
    `  server ${l.serverId}  subscription ${l.subscription ?? '-'}  expires ${day(l.exp)}  issued by ${l.issuedBy}${l.ticket ? `  ticket ${l.ticket}` : ''}`,
  ];
  if (l.emailTo) lines.push(`  email ${l.emailOutcome ?? '(not sent)'}`);
  lines.push(`  key ${l.key}`);
  return lines.join('\n') + '\n';
}

/** `vendor list [--account NAME] [--json]`: issued licenses, oldest first. */
export function registerList(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('list')
      .description('List issued licenses, oldest first, with who issued them, the email outcome of emergencies, and the key.')
      .option('--account <name>', 'only this customer account')
      .option('--json', 'print a JSON array'),
  ).action(async (opts: { account?: string; json?: boolean; registry: string }) => {
    const licenses = await withRegistry(io, opts.registry, (r) => r.list({ account: opts.account }));
    if (opts.json) {
      io.stdout(JSON.stringify(licenses, null, 2) + '\n');
      return;
    }
    if (licenses.length === 0) {
      io.stdout('No licenses issued yet.\n');
      return;
    }
    io.stdout(licenses.map(describe).join('\n'));
  });
}
