/**
 * Sends what the outbox holds: claim a row, render it once, mail every administrator who has not
 * had it yet, then mark it sent, or put it back to pending when the SMTP server fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../host.js';
import { failureText, mailFailure, redactError, type Failure } from '../redact.js';
import { deliver } from './deliver.js';
import type { Mailer } from './mailer.js';
import type { Outbox, OutboxRow } from './outbox.js';
import type { EmailContext, Renderer } from './render.js';
import type { NotificationFacts } from './types.js';
import { daysLeftUntil } from '../license/dates.js';

export interface DispatchContext {
  outbox: Outbox;
  mailer: Mailer;
  renderer: Renderer;
  logger: Logger;
  now: () => Date;
  email: EmailContext;
  /** a row left in `sending` for longer than this is taken back (its node died mid-send) */
  claimTimeoutMs: number;
  /** called before each notification: a long run keeps its lease */
  keepAlive?: () => Promise<unknown>;
}

export interface DispatchResult {
  sent: number;
  failed: number;
}

const token = (): string => randomBytes(16).toString('hex');

/**
 * A notification's Message-ID (RFC 5322), derived from what makes it one notification (the server
 * ID and its de-duplication key), on the domain of the page's address.
 */
export function messageIdOf(row: Pick<OutboxRow, 'dedupKey' | 'facts'>, pageUrl: string): string {
  let domain = 'license-manager.invalid';
  try {
    domain = new URL(pageUrl).hostname.replace(/^\[|\]$/g, '') || domain;
  } catch {
    // a page address that is not a URL keeps the reserved domain
  }
  if (!/^[A-Za-z0-9.-]+$/.test(domain)) domain = 'license-manager.invalid';
  const hash = createHash('sha256').update(`${row.facts.serverId}|${row.dedupKey}`).digest('hex').slice(0, 32);
  return `<lm.${hash}@${domain}>`;
}

/** The days left as of sending: a mail held back by an outage must not count from the day it was due. */
function asOf(facts: NotificationFacts, now: Date): NotificationFacts {
  if (!facts.expiresAt) return facts;
  return { ...facts, daysLeft: Math.max(0, daysLeftUntil(Math.round(Date.parse(facts.expiresAt) / 1000), now)) };
}

type Outcome = 'sent' | 'failed' | 'skipped';

async function sendOne(ctx: DispatchContext, row: OutboxRow, recipients: readonly string[]): Promise<{ outcome: Outcome; transient: boolean }> {
  const claim = token();
  const staleBefore = new Date(ctx.now().getTime() - ctx.claimTimeoutMs);
  if (!(await ctx.outbox.claim(row.id, claim, ctx.now(), staleBefore))) return { outcome: 'skipped', transient: false };
  try {
    if (recipients.length === 0) {
      await ctx.outbox.release(row.id, claim, 'No global administrator has an email address.');
      return { outcome: 'failed', transient: false };
    }
    const email = await ctx.renderer.render(row.kind, asOf(row.facts, ctx.now()), ctx.email);
    // NOTE: stored before the first send: a node that died after the server took the message (and
    // before marking it sent) is followed by one that sends it again under the same Message-ID
    const messageId = await ctx.outbox.messageId(row.id, messageIdOf(row, ctx.email.pageUrl));
    const handled = await ctx.outbox.handled(row.id);
    const todo = recipients.filter((e) => !handled.has(e.toLowerCase()));
    const result = await deliver({
      mailer: ctx.mailer,
      email,
      messageId,
      recipients: todo,
      record: (batch) => ctx.outbox.recordDeliveries(row.id, batch, ctx.now()),
    });
    if (result.error) {
      await ctx.outbox.release(row.id, claim, failureText(mailFailure(result.error)));
      ctx.logger.warn('notification not sent, will retry on the next run', { id: row.id, kind: row.kind, error: redactError(result.error) });
      return { outcome: 'failed', transient: true };
    }
    const refused = result.refused.length;
    const note = refused > 0 ? `Refused by the mail server for ${refused} ${refused === 1 ? 'address' : 'addresses'}.` : null;
    await ctx.outbox.markSent(row.id, claim, recipients.length, ctx.now(), note);
    return { outcome: 'sent', transient: false };
  } catch (err) {
    await ctx.outbox.release(row.id, claim, failureText(mailFailure(err)));
    throw err;
  }
}

/**
 * Sends every claimable notification to `recipients`. After a transient failure (SMTP down) the
 * rest is left pending for the next run rather than tried one by one against a dead server.
 */
export async function dispatchPending(ctx: DispatchContext, recipients: readonly string[]): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, failed: 0 };
  const staleBefore = new Date(ctx.now().getTime() - ctx.claimTimeoutMs);
  for (const row of await ctx.outbox.claimable(staleBefore)) {
    await ctx.keepAlive?.();
    const { outcome, transient } = await sendOne(ctx, row, recipients);
    if (outcome === 'sent') result.sent++;
    if (outcome === 'failed') result.failed++;
    if (transient) break;
  }
  return result;
}

/** Sends a notification right now, outside the outbox's queue (the test email). */
export async function sendNow(
  ctx: DispatchContext,
  item: Parameters<Outbox['insertClaimed']>[0],
  recipients: readonly string[],
): Promise<{ error: Failure | null }> {
  const claim = token();
  const id = await ctx.outbox.insertClaimed(item, claim, ctx.now());
  try {
    const email = await ctx.renderer.render(item.kind, item.facts, ctx.email);
    const result = await deliver({ mailer: ctx.mailer, email, recipients, record: (batch) => ctx.outbox.recordDeliveries(id, batch, ctx.now()) });
    if (result.error || result.delivered === 0) {
      const failure = result.error ? mailFailure(result.error) : { code: 'MAIL_REJECTED', message: 'The mail server refused every recipient.' };
      await ctx.outbox.markFailed(id, claim, failureText(failure));
      if (result.error) ctx.logger.warn('test email not sent', { error: redactError(result.error) });
      return { error: failure };
    }
    await ctx.outbox.markSent(id, claim, recipients.length, ctx.now(), null);
    return { error: null };
  } catch (err) {
    await ctx.outbox.markFailed(id, claim, failureText(mailFailure(err)));
    throw err;
  }
}
