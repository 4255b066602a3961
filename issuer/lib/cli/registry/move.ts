import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { readText, wholeNumber } from 'license-manager/shared';
import { enqueueWebhook, deliverWebhooks } from '../../portal/webhook-outbox.js';
import { moveText } from '../../portal/announce.js';
import type { MoveImport } from '../../registry/moves.js';
import type { VendorRegistry } from '../../registry/index.js';
import { defaultIssuer, readPrivateKey, withRegistry, withRegistryOption } from './shared.js';

function describe(r: MoveImport): string {
  const { move, license } = r;
  const head = `Move ${move.id} of subscription ${move.subscription} (${move.account}) from ${move.oldServerId} to ${move.newServerId}`;
  if (r.duplicate)
    return `${head} was already imported: ${move.status === 'issued' ? `the key ${move.lid} is issued` : 'it waits for an engineer'}.\n${license ? `${license.key}\n` : ''}`;
  if (license) return `${head}: the key for ${move.newServerId} is issued (license ${license.lid}).\n${license.key}\n`;
  return `${head} waits for an engineer: ${move.whyWaiting}\nReason given: ${move.reason}\n`;
}

/** Posts the move to the team channel (`--webhook`), as the portal does; a failed post is said, never fatal. */
async function announce(io: CliIo, registry: VendorRegistry, url: string | undefined, r: MoveImport, event: string): Promise<void> {
  if (!url || r.duplicate) return;
  await enqueueWebhook(registry.db, { dedupeKey: `${event}:${r.move.id}`, url, text: moveText(r.move, event === 'move_approved'), now: registry.now() });
  if ((await deliverWebhooks(registry.db, registry.now)) === 0)
    io.stderr('warning: the webhook post failed; it is retried by the next post of the registry.\n');
}

/** `vendor move import FILE`, `vendor move approve`, `vendor move list`, `vendor move budget` (SPEC 22). */
export function registerMove(vendor: Command, io: CliIo): void {
  const move = vendor.command('move').description('Moves without a ticket: a moved instance asks for a key for its new server ID.');
  withRegistryOption(
    move
      .command('import')
      .description('Verify a move request against the pinned instance key; within the move budget print the key for the new server ID, else say why it waits.')
      .argument('<file>', 'the move request (.jws) the customer sent')
      .requiredOption('--private-key <file>', 'vendor private JWK (issues the new key)')
      .option('--imported-by <name>', 'who imports it (default: the login name)')
      .option('--webhook <url>', 'post the move to this Slack-format webhook'),
  ).action(async (file: string, opts: { registry: string; privateKey: string; importedBy?: string; webhook?: string }) => {
    const text = await readText(io.cwd, file, 'move request');
    const privateJwk = await readPrivateKey(io, opts.privateKey);
    await withRegistry(io, opts.registry, async (reg) => {
      const r = await reg.importMove({ text, privateJwk, importedBy: opts.importedBy ?? defaultIssuer(io) });
      io.stdout(describe(r));
      await announce(io, reg, opts.webhook, r, r.move.status === 'issued' ? 'move_issued' : 'move_waiting');
    });
  });
  withRegistryOption(
    move
      .command('approve')
      .description('Issue the key of a move that waits for an engineer, and print it.')
      .requiredOption('--id <move>', 'the move ID')
      .requiredOption('--private-key <file>', 'vendor private JWK')
      .option('--approved-by <name>', 'who approves it (default: the login name)')
      .option('--webhook <url>', 'post the move to this Slack-format webhook'),
  ).action(async (opts: { registry: string; id: string; privateKey: string; approvedBy?: string; webhook?: string }) => {
    const privateJwk = await readPrivateKey(io, opts.privateKey);
    await withRegistry(io, opts.registry, async (reg) => {
      const r = await reg.approveMove({ id: opts.id, approvedBy: opts.approvedBy ?? defaultIssuer(io), privateJwk });
      io.stdout(describe(r));
      await announce(io, reg, opts.webhook, r, 'move_approved');
    });
  });
  withRegistryOption(
    move
      .command('list')
      .description('Moves, newest first.')
      .option('--subscription <id>', 'of one subscription')
      .option('--waiting', 'only those waiting for an engineer')
      .option('--json', 'print JSON'),
  ).action(async (opts: { registry: string; subscription?: string; waiting?: boolean; json?: boolean }) => {
    const moves = await withRegistry(io, opts.registry, (reg) => reg.moves({ subscription: opts.subscription, status: opts.waiting ? 'waiting' : undefined }));
    if (opts.json) return io.stdout(`${JSON.stringify(moves, null, 2)}\n`);
    if (moves.length === 0) return io.stdout('No move.\n');
    for (const m of moves) {
      io.stdout(
        `${m.id}  ${m.importedAt.toISOString().slice(0, 10)}  ${m.subscription}  ${m.oldServerId} -> ${m.newServerId}  ${m.status === 'issued' ? `issued ${m.lid}` : 'WAITING'}  ${m.reason}\n`,
      );
    }
  });
  withRegistryOption(
    move
      .command('budget')
      .description('Set how many moves a year a subscription gets without review (default 2).')
      .requiredOption('--subscription <id>', 'the subscription ID')
      .requiredOption('--per-year <n>', 'moves a year issued at once (0: every move is reviewed)', wholeNumber('--per-year'))
      .option('--actor <name>', 'who sets it (default: the login name)'),
  ).action(async (opts: { registry: string; subscription: string; perYear: number; actor?: string }) => {
    const n = await withRegistry(io, opts.registry, (reg) =>
      reg.setMoveBudget({ subscription: opts.subscription, perYear: opts.perYear, actor: opts.actor ?? defaultIssuer(io) }),
    );
    io.stdout(`Subscription ${opts.subscription}: ${n} move${n === 1 ? '' : 's'} a year without review.\n`);
  });
}
