/**
 * The webhook outbox of the portal (SPEC 19): each issued and emergency license becomes one row
 * with a unique de-duplication key, posted in Slack's format (`{ "text": … }`). A row is claimed
 * by a compare-and-set before it is posted, so of several portal nodes only one posts it; a
 * failure (non-2xx, timeout, refused connection) leaves it pending for the next round.
 */
import type { Knex } from 'knex';

const CLAIM_STALE_MS = 60_000;
const TIMEOUT_MS = 10_000;

interface OutboxRow {
  id: number;
  dedupe_key: string;
  url: string;
  body: string;
  status: string;
  attempts: number;
  claimed_at: number | string | null;
}

export interface OutboxEntry {
  dedupeKey: string;
  status: 'pending' | 'sent';
  attempts: number;
  lastError: string | null;
}

/** Queues one post; the same key again is ignored (once per license). */
export async function enqueueWebhook(db: Knex, o: { dedupeKey: string; url: string; text: string; now: Date }): Promise<void> {
  const exists = await db('vendor_outbox').where({ dedupe_key: o.dedupeKey }).first('id');
  if (exists) return;
  try {
    await db('vendor_outbox').insert({
      dedupe_key: o.dedupeKey,
      url: o.url,
      body: JSON.stringify({ text: o.text }),
      status: 'pending',
      attempts: 0,
      created_at: o.now.getTime(),
    });
  } catch (err) {
    if (!(await db('vendor_outbox').where({ dedupe_key: o.dedupeKey }).first('id'))) throw err;
  }
}

/** Why a post failed, as a code (never the receiver's text). */
function failureCode(err: unknown, status?: number): string {
  if (status !== undefined) return `HTTP_${status}`;
  return (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError' ? 'TIMEOUT' : 'NETWORK';
}

/** Posts every pending row once; resolves to how many were delivered now. */
export async function deliverWebhooks(db: Knex, now: () => Date, timeoutMs = TIMEOUT_MS): Promise<number> {
  const rows = await db<OutboxRow>('vendor_outbox').where({ status: 'pending' }).orderBy('id').limit(100);
  let delivered = 0;
  for (const row of rows) {
    const at = now().getTime();
    const claimed = await db('vendor_outbox')
      .where({ id: row.id, status: 'pending' })
      .andWhere((w) => (row.claimed_at === null ? w.whereNull('claimed_at') : w.where('claimed_at', row.claimed_at)))
      .andWhere((w) => w.whereNull('claimed_at').orWhere('claimed_at', '<=', at - CLAIM_STALE_MS))
      .update({ claimed_at: at });
    if (Number(claimed) !== 1) continue;
    let error: string | null = null;
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: row.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = failureCode(undefined, res.status);
    } catch (err) {
      error = failureCode(err);
    }
    if (error === null) {
      await db('vendor_outbox')
        .where({ id: row.id })
        .update({ status: 'sent', sent_at: now().getTime(), attempts: row.attempts + 1, last_error: null });
      delivered++;
    } else {
      await db('vendor_outbox')
        .where({ id: row.id })
        .update({ claimed_at: null, attempts: row.attempts + 1, last_error: error });
    }
  }
  return delivered;
}

export async function outboxEntries(db: Knex, limit = 50): Promise<OutboxEntry[]> {
  const rows = await db<OutboxRow & { last_error: string | null }>('vendor_outbox').orderBy('id', 'desc').limit(limit);
  return rows.map((r) => ({ dedupeKey: r.dedupe_key, status: r.status as OutboxEntry['status'], attempts: r.attempts, lastError: r.last_error }));
}
