import type { Knex } from 'knex';
import { dialectOf, retryTransaction, withRetry } from '../store/dialects/index.js';
import { bodyPrefix, canonicalJson, entryHash } from './chain.js';
import { actorName, assertSafeDetail } from './detail.js';
import { createLane, type Lane } from './lane.js';
import { auditMessages as m, headMissing } from './messages.js';
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
    id: Number(row.id),
    at: new Date(Number(row.at)).toISOString(),
    actor: row.actor,
    action: row.action as AuditAction,
    detail: JSON.parse(row.detail) as AuditDetail,
    prevHash: row.prev_hash,
    hash: row.hash,
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
  if (!head) throw headMissing();
  return { lastId: Number(head.last_id), hash: head.hash };
}

/** The entries that follow `head`, with their IDs and hashes, in order. */
function chainEntries(head: Head, inputs: readonly AuditInput[]): AuditEntry[] {
  let prev = head;
  return inputs.map((input) => {
    const detail = input.detail ?? {};
    const entry = { id: prev.lastId + 1, at: new Date(input.at.getTime()).toISOString(), actor: actorName(input.actor), action: input.action, detail };
    const hash = entryHash(prev.hash, entry);
    const chained = { ...entry, prevHash: prev.hash, hash };
    prev = { lastId: entry.id, hash };
    return chained;
  });
}

/** Writes entries after the locked head, in one multi-row insert, and moves the head. */
async function writeEntries(trx: Knex.Transaction, head: Head, inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
  inputs.forEach(checkInput);
  const entries = chainEntries(head, inputs);
  await trx(LOG).insert(
    entries.map((e, i) => ({
      id: e.id,
      at: inputs[i]!.at.getTime(),
      actor: e.actor,
      action: e.action,
      detail: canonicalJson(e.detail),
      prev_hash: e.prevHash,
      hash: e.hash,
    })),
  );
  const last = entries[entries.length - 1]!;
  await trx(HEAD).where({ id: 1 }).update({ last_id: last.id, hash: last.hash });
  return entries;
}

const inTransaction = <T>(knex: Knex | Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
  (knex as Knex.Transaction).isTransaction ? work(knex as Knex.Transaction) : retryTransaction(knex as Knex, dialectOf(knex), work);

/** One append through the dialect's own statement, where it has one (PostgreSQL, MariaDB); else undefined. */
async function appendOne(knex: Knex, input: AuditInput): Promise<AuditEntry | undefined> {
  const dialect = dialectOf(knex);
  const detail = input.detail ?? {};
  const entry = { at: new Date(input.at.getTime()).toISOString(), actor: actorName(input.actor), action: input.action, detail };
  const row = { at: input.at.getTime(), actor: entry.actor, action: entry.action, detail: canonicalJson(detail), bodyPrefix: bodyPrefix(entry) };
  const written = await withRetry(dialect, () => dialect.appendAuditEntry!(knex, row));
  if (written === null) throw headMissing();
  return written && { id: written.id, ...entry, prevHash: written.prevHash, hash: written.hash };
}

// NOTE: 100 rows of 7 values stay far below every dialect's limit of bound values per statement.
const MAX_BATCH = 100;
const lanes = new WeakMap<Knex, Lane<AuditInput, AuditEntry>>();

/** The process's queue to the chain of this knex instance's database (see lane.ts). */
function laneOf(knex: Knex): Lane<AuditInput, AuditEntry> {
  let lane = lanes.get(knex);
  if (!lane) {
    lane = createLane<AuditInput, AuditEntry>(async (inputs) => {
      const one = inputs.length === 1 && dialectOf(knex).appendAuditEntry ? await appendOne(knex, inputs[0]!) : undefined;
      if (one) return [one];
      return retryTransaction(knex, dialectOf(knex), async (trx) => writeEntries(trx, await lockHead(trx), inputs));
    }, MAX_BATCH);
    lanes.set(knex, lane);
  }
  return lane;
}

/**
 * Appends one entry to the chain. The chain-head row is locked for the transaction (the
 * dialect's `forUpdate`), so nodes appending at once queue up and each entry follows exactly one
 * other. Appends that arrive in one process while another is being written are written together
 * in one transaction (group commit), each caller getting its own entry. Given a transaction, it
 * appends inside it, so the entry commits or rolls back with the change it records.
 */
export async function appendAudit(knex: Knex | Knex.Transaction, input: AuditInput): Promise<AuditEntry> {
  checkInput(input);
  if ((knex as Knex.Transaction).isTransaction) {
    const trx = knex as Knex.Transaction;
    return (await writeEntries(trx, await lockHead(trx), [input]))[0]!;
  }
  return laneOf(knex as Knex).add(input);
}

/**
 * Runs a change and its audit entry in one transaction that takes the chain lock first: audited
 * changes are serialised across the cluster, so what `work` reads (the old threshold) is still
 * true when it writes, and the entry commits or rolls back with the change. In the process it
 * waits its turn with the appends (`work` must not append through `knex` itself: use `trx`).
 */
export async function auditedTransaction(knex: Knex, work: (trx: Knex.Transaction) => Promise<AuditInput>): Promise<AuditEntry> {
  const run = () =>
    inTransaction(knex, async (trx) => {
      const head = await lockHead(trx);
      return (await writeEntries(trx, head, [await work(trx)]))[0]!;
    });
  return (knex as Knex.Transaction).isTransaction ? run() : laneOf(knex).exclusive(run);
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
  if (!head) return { ok: false, entries: count, id: count + 1, reason: m.headRowMissing };
  if (Number(head.last_id) > count) return { ok: false, entries: count, id: count + 1, reason: `entry ${count + 1} is missing` };
  if (Number(head.last_id) !== count || head.hash !== prev) {
    return { ok: false, entries: count, id: count, reason: `entry ${count} is not the one the chain head recorded` };
  }
  return { ok: true, entries: count, hash: prev };
}

/** What the chain head says (SPEC 21): the entry count and the last hash, written where the log cannot reach. */
export interface AuditHead {
  entries: number;
  hash: string;
}

/**
 * The chain head as recorded in the database, checked against the entry it names (one indexed
 * read): a head row that is missing, or names an entry that is not there or hashes otherwise, is
 * a `problem` sentence (AUDIT_CHAIN_BROKEN), and `head` is then what the log's last entry says.
 */
export async function readAuditHead(knex: Knex): Promise<{ head: AuditHead; problem?: string }> {
  const [row, last] = await Promise.all([
    knex(HEAD).where({ id: 1 }).first('last_id', 'hash') as Promise<{ last_id: number | string; hash: string } | undefined>,
    knex(LOG).orderBy('id', 'desc').first('id', 'hash') as Promise<{ id: number | string; hash: string } | undefined>,
  ]);
  const fromLog: AuditHead = last ? { entries: Number(last.id), hash: last.hash } : { entries: 0, hash: GENESIS_HASH };
  if (!row) return { head: fromLog, problem: m.headRowMissingSentence };
  const head = { entries: Number(row.last_id), hash: row.hash };
  if (head.entries !== fromLog.entries || head.hash !== fromLog.hash) return { head: fromLog, problem: m.headMismatchSentence(head.entries, fromLog.entries) };
  return { head };
}

/**
 * Checks that a head recorded elsewhere (a usage report, a webhook: `COUNT:HASH`) is still part
 * of the chain, after the chain itself verified: entry COUNT exists and has that hash. Truncating
 * the tail together with the head row, or emptying the table, is found here and nowhere else.
 */
export async function verifyAuditHead(knex: Knex, anchor: AuditHead): Promise<AuditVerification> {
  const chain = await verifyAudit(knex);
  if (!chain.ok) return chain;
  if (anchor.entries === 0) return chain;
  if (anchor.entries > chain.entries) {
    return { ok: false, entries: chain.entries, id: chain.entries + 1, reason: m.anchorPastEnd(anchor.entries, chain.entries) };
  }
  const row = (await knex(LOG).where({ id: anchor.entries }).first('hash')) as { hash: string } | undefined;
  if (row?.hash !== anchor.hash) return { ok: false, entries: anchor.entries - 1, id: anchor.entries, reason: m.anchorRewritten(anchor.entries) };
  return chain;
}

/** `COUNT:HASH` as written in usage reports and webhooks; undefined when it is not one. */
export function parseAuditHead(text: string): AuditHead | undefined {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { entries: Number(match[1]), hash: match[2]! } : undefined;
}
