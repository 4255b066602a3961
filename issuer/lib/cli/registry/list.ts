import type { Command } from 'commander';
import { formatDay, lastValidDay } from 'license-manager/formats';
import type { CliIo } from 'license-manager/shared';
import type { IssuedLicense } from '../../registry/types.js';
import { withRegistry, withRegistryOption } from './shared.js';

const day = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A key's first and last characters: enough to tell keys apart, not enough to use one. */
export const keyHint = (key: string) => (key.length > 24 ? `${key.slice(0, 12)}…${key.slice(-8)}` : '…');

function describe(l: IssuedLicense, showKeys: boolean): string {
  const kind = l.emergency ? 'emergency' : l.type;
  const lines = [
    `${day(l.issuedAt)}  ${kind.padEnd(10)} ${l.account}  lid ${l.lid}`,
    `  server ${l.serverId}  subscription ${l.subscription ?? '-'}  valid through ${formatDay(lastValidDay(l.exp.getTime() / 1000))}  issued by ${l.issuedBy}${l.ticket ? `  ticket ${l.ticket}` : ''}`,
  ];
  if (l.emailTo) lines.push(`  email ${l.emailOutcome ?? '(not sent)'}`);
  lines.push(`  key ${showKeys ? l.key : `${keyHint(l.key)} (--show-keys prints it)`}`);
  return `${lines.join('\n')}\n`;
}

/** `vendor list [--account NAME] [--json]`: issued licenses, oldest first. */
export function registerList(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('list')
      .description(
        'List issued licenses, oldest first, with who issued them, the email outcome of emergencies, and the start and end of each key (--show-keys: the whole key).',
      )
      .option('--account <name>', 'only this customer account')
      .option('--json', 'print a JSON array')
      .option('--show-keys', 'print each full license key (a key is what a customer installs: keep it off shared screens)'),
  ).action(async (opts: { account?: string; json?: boolean; showKeys?: boolean; registry: string }) => {
    const licenses = await withRegistry(io, opts.registry, (r) => r.list({ account: opts.account }), undefined, { existing: true });
    if (opts.json) {
      const rows = opts.showKeys ? licenses : licenses.map(({ key, ...rest }) => ({ ...rest, keyHint: keyHint(key) }));
      io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (licenses.length === 0) {
      io.stdout('No licenses issued yet.\n');
      return;
    }
    io.stdout(licenses.map((l) => describe(l, opts.showKeys === true)).join('\n'));
  });
}
