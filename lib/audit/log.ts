import type { Knex } from 'knex';
import { dialectOf, retryTransaction, withRetry } from '../store/dialects/index.js';
import { bodyPrefix, canonicalJson, entryHash } from './chain.js';
import { actorName, assertSafeDetail } from './detail.js';
import { AUDIT_ACTIONS, GENESIS_HASH, type AuditAction, type AuditDetail, type AuditEntry, type AuditInput, type AuditVerification } from './types.js';

interface AuditRow {
  id: number | string;
  at: number | string;
  actor: string;
  action: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

const HEAD = 'license_audit_head';
const LOG = 'license_audit';

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id), at: new Date(Number(row.at)).toISOString(), actor: row.actor, action: row.action as AuditAction,
    detail: JSON.parse(row.detail) as AuditDetail, prevHash: row.prev_hash, hash: row.hash,
  };
}

type Head = { lastId: number; hash: string };

function checkInput(input: AuditInput): void {
  if (!AUDIT_ACTIONS.includes(input.action)) throw new TypeError(`Unknown audit action "${String(input.action)}": use one of ${AUDIT_ACTIONS.join(', ')}.`);
  if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) throw new TypeError('The audit entry needs a valid "at" date.');
  assertSafeDetail(input.detail ?? {});
}

/** Locks the chain head for the rest of the transaction (SQLite serialises writers itself). */
async function lockHead(trx: Knex.Transaction): Promise<Head> {
  const [head] = (await dialectOf(trx).forUpdate(trx(HEAD).where({ id: 1 }).select('last_id', 'hash'))) as Array<{ last_id: number | string; hash: string }>;
  if (!head) throw new Error('The audit chain head is missing: run the instance migrations.');
  return { lastId: Number(head.last_id), hash: head.hash };
}

async function writeEntry(trx: Knex.Transaction, head: Head, input: AuditInput): Promise<AuditEntry> {
  checkInput(input);
  const detail = input.detail ?? {};
  const entry = { id: head.lastId + 1, at: new Date(input.at.getTime()).toISOString(), actor: actorName(input.actor), action: input.action, detail };
  const hash = entryHash(head.hash, entry);
  await trx(LOG).insert({ ...entry, at: input.at.getTime(), detail: canonicalJson(detail), prev_hash: head.hash, hash });
  await trx(HEAD).where({ id: 1 }).update({ last_id: entry.id, hash });
  return { ...entry, prevHash: head.hash, hash };
}

const inTransaction = <T>(knex: Knex | Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
  (knex as Knex.Transaction).isTransaction ? work(knex as Knex.Transaction) : retryTransaction(knex as Knex, dialectOf(knex), work);

/**
 * Appends one entry to the chain. The chain-head row is locked for the transaction (the
 * dialect's `forUpdate`), so nodes appending at once queue up and each entry follows exactly one
 * other. Given a transaction, it appends inside it, so the entry commits or rolls back with the
 * change it records.
 */
export async function appendAudit(knex: Knex | Knex.Transaction, input: AuditInput): Promise<AuditEntry> {
  checkInput(input);
  const dialect = dialectOf(knex);
  if (dialect.appendAuditEntry && !(knex as Knex.Transaction).isTransaction) {
    const detail = input.detail ?? {};
    const entry = { at: new Date(input.at.getTime()).toISOString(), actor: actorName(input.actor), action: input.action, detail };
    const row = { at: input.at.getTime(), actor: entry.actor, action: entry.action, detail: canonicalJson(detail), bodyPrefix: bodyPrefix(entry) };
    const { id, prevHash, hash } = await withRetry(dialect, () => dialect.appendAuditEntry!(knex as Knex, row));
    return { id, ...entry, prevHash, hash };
  }
  return inTransaction(knex, async (trx) => writeEntry(trx, await lockHead(trx), input));
}

/**
 * Runs a change and its audit entry in one transaction that takes the chain lock first: audited
 * changes are serialised across the cluster, so what `work` reads (the old threshold) is still
 * true when it writes, and the entry commits or rolls back with the change.
 */
export async function auditedTransaction(knex: Knex, work: (trx: Knex.Transaction) => Promise<AuditInput>): Promise<AuditEntry> {
  return inTransaction(knex, async (trx) => {
    const head = await lockHead(trx);
    return writeEntry(trx, head, await work(trx));
  });
}

/** The latest entries, newest first. */
export async function listAudit(knex: Knex, options: { limit?: number; beforeId?: number } = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 50)), 500);
  const query = knex(LOG).orderBy('id', 'desc').limit(limit);
  if (options.beforeId !== undefined) query.where('id', '<', options.beforeId);
  return ((await query) as AuditRow[]).map(toEntry);
}

const CHUNK = 1000;

/**
 * Walks the chain from the first entry and names the first one whose hash does not hold: an
 * edited row, a row deleted from the middle or the end, or entries reordered.
 */
export async function verifyAudit(knex: Knex): Promise<AuditVerification> {
  let prev = GENESIS_HASH;
  let expected = 1;
  for (;;) {
    const rows = (await knex(LOG).where('id', '>=', expected).orderBy('id').limit(CHUNK)) as AuditRow[];
    for (const row of rows) {
      const id = Number(row.id);
      if (id !== expected) return { ok: false, entries: expected - 1, id: expected, reason: `entry ${expected} is missing` };
      if (row.prev_hash !== prev) return { ok: false, entries: expected - 1, id, reason: `entry ${id} does not follow the entry before it` };
      let detail: AuditDetail;
      try {
        detail = JSON.parse(row.detail) as AuditDetail;
      } catch {
        return { ok: false, entries: expected - 1, id, reason: `entry ${id} has a detail that is not JSON` };
      }
      const at = new Date(Number(row.at));
      const computed = Number.isNaN(at.getTime()) ? '' : entryHash(prev, { id, at: at.toISOString(), actor: row.actor, action: row.action, detail });
      if (computed !== row.hash) return { ok: false, entries: expected - 1, id, reason: `entry ${id} does not match its hash` };
      prev = row.hash;
      expected++;
    }
    if (rows.length < CHUNK) break;
  }
  const count = expected - 1;
  const head = (await knex(HEAD).where({ id: 1 }).first('last_id', 'hash')) as { last_id: number | string; hash: string } | undefined;
  if (head && Number(head.last_id) > count) return { ok: false, entries: count, id: count + 1, reason: `entry ${count + 1} is missing` };
  if (head && (Number(head.last_id) !== count || head.hash !== prev)) {
    return { ok: false, entries: count, id: count, reason: `entry ${count} is not the one the chain head recorded` };
  }
  return { ok: true, entries: count };
}
