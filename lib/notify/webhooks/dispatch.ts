/**
 * Posts the outbox's webhook rows (one per notification and target): claim, post, mark sent; a
 * failure (non-2xx, 10 s timeout, unreachable) puts the row back to pending for the next run and
 * leaves that target's other rows alone until then. Claims make it once per cluster, like mail.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DispatchContext, DispatchResult } from '../dispatch.js';
import type { OutboxRow } from '../outbox.js';
import { jsonBody, slackBody, type AuditAnchor } from './payload.js';
import { postWebhook } from './post.js';
import { signedHeaders } from './sign.js';
import type { WebhookTarget } from './targets.js';

export interface WebhookDispatchContext extends Omit<DispatchContext, 'mailer'> {
  targets: readonly WebhookTarget[];
  /** per POST; SPEC 17.2 says 10 s */
  timeoutMs?: number;
  /** the audit chain's head, written into every json body (SPEC 21) */
  auditHead?: () => Promise<AuditAnchor>;
}

/** The same message keeps its ID on every retry, so a receiver can drop a repeat. */
const messageId = (row: OutboxRow): string => `msg_${createHash('sha256').update(`${row.facts.serverId}|${row.dedupKey}`).digest('hex').slice(0, 32)}`;

async function post(ctx: WebhookDispatchContext, target: WebhookTarget, row: OutboxRow) {
  const now = ctx.now();
  const email = await ctx.renderer.render(row.kind, row.facts, ctx.email);
  const event = { kind: row.kind, facts: row.facts, productName: ctx.email.productName, pageUrl: ctx.email.pageUrl };
  const body = target.format === 'slack' ? slackBody(event, email) : jsonBody(event, email, now, await ctx.auditHead?.());
  const headers = target.key ? signedHeaders(target.key, messageId(row), now, body) : {};
  return postWebhook(target.url, headers, body, ctx.timeoutMs);
}

export async function dispatchWebhooks(ctx: WebhookDispatchContext): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, failed: 0 };
  const targets = new Map(ctx.targets.map((t) => [t.id, t]));
  const down = new Set<string>();
  const staleBefore = new Date(ctx.now().getTime() - ctx.claimTimeoutMs);
  for (const row of await ctx.outbox.claimable(staleBefore, 'webhook')) {
    if (row.target === null || down.has(row.target)) continue;
    await ctx.keepAlive?.();
    const claim = randomBytes(16).toString('hex');
    if (!(await ctx.outbox.claim(row.id, claim, ctx.now(), new Date(ctx.now().getTime() - ctx.claimTimeoutMs)))) continue;
    const target = targets.get(row.target);
    if (!target) {
      await ctx.outbox.markFailed(row.id, claim, 'Not sent: this webhook is no longer configured.');
      result.failed++;
      continue;
    }
    try {
      const outcome = await post(ctx, target, row);
      if (outcome.ok) {
        await ctx.outbox.markSent(row.id, claim, 1, ctx.now(), null);
        result.sent++;
      } else {
        await ctx.outbox.release(row.id, claim, outcome.error);
        ctx.logger.warn('webhook not delivered, will retry on the next run', { id: row.id, kind: row.kind, target: target.label, error: outcome.error });
        down.add(target.id);
        result.failed++;
      }
    } catch (err) {
      await ctx.outbox.release(row.id, claim, 'The webhook could not be prepared.');
      throw err;
    }
  }
  return result;
}
