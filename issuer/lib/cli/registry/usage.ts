import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { readText } from 'license-manager/shared';
import { formatDay, lastValidDay } from 'license-manager/formats';
import type { UsageSummary } from '../../registry/usage.js';
import { withRegistry, withRegistryOption } from './shared.js';

const figure = (n: number | null) => (n === null ? 'unlimited' : String(n));

function describeSummary(s: UsageSummary): string {
  const lines = [`subscription ${s.subscription}  instance ${s.serverId ?? '-'}  instance key ${s.instanceKeyId ?? '(no report imported yet)'}`];
  if (s.months.length === 0) lines.push('No usage report imported yet.');
  for (const mo of s.months) {
    lines.push(
      `${mo.month}  lines of code ${mo.peakLoc} of ${figure(mo.limitLoc)}${mo.overLoc ? `  OVER BY ${mo.overLoc}` : ''}` +
        `  users ${mo.peakUsers} of ${figure(mo.limitUsers)}${mo.overUsers ? `  OVER BY ${mo.overUsers}` : ''}`,
    );
  }
  const overLoc = s.months.reduce((a, mo) => Math.max(a, mo.overLoc), 0);
  const overUsers = s.months.reduce((a, mo) => Math.max(a, mo.overUsers), 0);
  if (overLoc || overUsers) lines.push(`True-up: highest overage ${overLoc} lines of code, ${overUsers} users.`);
  if (s.missing.length) lines.push(`warning: report${s.missing.length > 1 ? 's' : ''} ${s.missing.join(', ')} never imported.`);
  // SPEC 22: the customer's self-service extensions, as their reports told them
  for (const e of s.extensions) {
    lines.push(
      `extension ${e.use} of license ${e.lid}: ${e.days} day${e.days === 1 ? '' : 's'}, used by ${e.actor} on ${e.at.toISOString().slice(0, 10)}, grace until ${formatDay(lastValidDay(Math.floor(e.until.getTime() / 1000)))} (report ${e.reportSeq})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `vendor usage import FILE` and `vendor usage show --subscription SUB [--json]` (SPEC 18.1). */
export function registerUsage(vendor: Command, io: CliIo): void {
  const usage = vendor.command('usage').description('Usage reports sent by air-gapped instances: import them, show the true-up.');
  withRegistryOption(
    usage
      .command('import')
      .description('Verify a usage report file and store its monthly peaks under the subscription of its server ID.')
      .argument('<file>', 'the usage report (.jws) the customer sent'),
  ).action(async (file: string, opts: { registry: string }) => {
    const text = await readText(io.cwd, file, 'usage report');
    const r = await withRegistry(io, opts.registry, (reg) => reg.importUsageReport(text));
    io.stdout(
      r.duplicate
        ? `Report ${r.seq} of ${r.serverId} was already imported: nothing changed.\n`
        : `Imported report ${r.seq} of ${r.serverId} (${r.period.from} to ${r.period.to}) under subscription ${r.subscription}` +
            `${r.pinned ? `; instance key ${r.instanceKeyId} is now pinned to it` : ''}.\n`,
    );
    for (const w of r.warnings) io.stderr(`warning: ${w}\n`);
  });
  withRegistryOption(
    usage
      .command('show')
      .description("Each month's peak lines of code and users against the licensed limits, and the overage to true up.")
      .requiredOption('--subscription <id>', 'the subscription ID')
      .option('--json', 'print a JSON object'),
  ).action(async (opts: { subscription: string; json?: boolean; registry: string }) => {
    const summary = await withRegistry(io, opts.registry, (reg) => reg.usage(opts.subscription), undefined, { existing: true });
    io.stdout(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : describeSummary(summary));
  });
}
