import type { Command } from 'commander';
import { withManager } from './instance.js';
import { repeatable } from './files.js';
import { formatDay, lastValidDay } from '../license/dates.js';
import { UsageError, type CliIo } from './io.js';

/**
 * `extend --db URL --actor WHO` (SPEC 22): one use of the self-service extension of the license
 * in force, as the page's Extend by N days does; refused with EXTENSION_NOT_AVAILABLE and why.
 * The administrators' mail and the webhooks hear of it at the instance's next job run.
 */
export function registerExtend(program: Command, io: CliIo): void {
  program
    .command('extend')
    .description('Use one self-service extension of the license (its key allows it), from the start of grace until 3 days after its end.')
    .requiredOption('--db <url>', 'sqlite:PATH, postgres://… or mysql://…')
    .requiredOption('--actor <name>', 'who extends it, for the audit log and the usage report')
    .option('--public-key <file>', 'vendor public JWK (repeatable; or LICENSE_PUBLIC_KEYS_FILE)', repeatable)
    .action(async (opts: { db: string; actor: string; publicKey?: string[] }) => {
      if (!opts.actor.trim()) throw new UsageError('--actor must name who extends the license.');
      const { extension: e, agreed } = await withManager(io, opts.db, opts.publicKey, (lm) => lm.extend({ actor: opts.actor }));
      const until = formatDay(lastValidDay(Date.parse(e.until) / 1000));
      io.stdout(
        agreed
          ? `This extension (${e.use} of ${e.uses}) was already used by ${e.actor} at the same moment: commercial features stay on through ${until}. No further extension was used.\n`
          : `The license ${e.lid} is extended by ${e.days} day${e.days === 1 ? '' : 's'} (extension ${e.use} of ${e.uses} on this server): commercial features stay on through ${until}.\n` +
              `Recorded in the audit log as done by ${e.actor}; your vendor sees it in your next usage report.\n`,
      );
    });
}
