/**
 * The notification outbox: one row per notification with a UNIQUE de-duplication key. A row is
 * claimed (pending → sending, with a claim token, by a conditional UPDATE that must touch exactly
 * one row) before anything is sent, and marked sent after; a failed send puts it back to pending.
 * So two nodes never send the same notification, and an SMTP outage loses nothing.
 */
import type { Knex } from 'knex';
import type { NotificationRow } from './types.js';
import type { DueNotification, NotificationFacts, NotificationKind } from './types.js';

const T = 'license_notifications';
const D = 'license_notification_deliveries';
/** rows per INSERT of deliveries: far under SQLite's bound-variable limit */
const DELIVERY_BATCH = 500;

export interface OutboxRow {
  id: number;
  dedupKey: string;
  kind: NotificationKind;
  lid: string | null;
  facts: NotificationFacts;
  attempts: number;
  /** the webhook this row posts to, or null for the mail to administrators */
  target: string | null;
}

interface DbRow {
  id: number | string;
  dedup_key: string;
  kind: string;
  lid: string | null;
  status: string;
  data: string;
  recipients: number | string;
  attempts: number | string;
  last_error: string | null;
  created_at: number | string;
  sent_at: number | string | null;
  target: string | null;
}

/** pg returns BIGINT and COUNT as strings */
const num = (v: unknown): number => Number(v ?? 0);
const iso = (ms: unknown): string => new Date(num(ms)).toISOString();

function toOutboxRow(r: DbRow): OutboxRow {
  return {
    id: num(r.id),
    dedupKey: r.dedup_key,
    kind: r.kind as NotificationKind,
    lid: r.lid,
    facts: JSON.parse(r.data),
    attempts: num(r.attempts),
    target: r.target ?? null,
  };
}

function toNotificationRow(r: DbRow): NotificationRow {
  return {
    id: num(r.id),
    dedupKey: r.dedup_key,
    kind: r.kind,
    // a row being sent right now shows as pending: it is not sent until it is marked
    status: r.status === 'sending' ? 'pending' : (r.status as NotificationRow['status']),
    recipients: num(r.recipients),
    createdAt: iso(r.created_at),
    sentAt: r.sent_at === null ? null : iso(r.sent_at),
    lastError: r.last_error,
    attempts: num(r.attempts),
    target: r.target ?? null,
  };
}

export interface Outbox {
  /**
   * records due notifications, and a row per webhook target for each (SPEC 17.2); a key already
   * present is left alone. Returns nothing useful on purpose: count pending instead.
   */
  enqueue(items: readonly DueNotification[], now: Date, targets?: readonly string[]): Promise<void>;
  /** de-duplication keys recorded for a license */
  history(lid: string | null): Promise<Set<string>>;
  /** rows that may be claimed: pending, or stuck in sending since `staleBefore` or earlier (a node died mid-send) */
  claimable(staleBefore: Date, channel?: 'mail' | 'webhook'): Promise<OutboxRow[]>;
  claim(id: number, token: string, now: Date, staleBefore: Date): Promise<boolean>;
  /**
   * The Message-ID a notification is sent with: `proposed` stored on first use, before anything
   * is sent, and the stored one ever after (SPEC 21: a node taking over sends the same message).
   */
  messageId(id: number, proposed: string): Promise<string>;
  /** addresses (lower-case) already handled for a notification: delivered or refused for good */
  handled(id: number): Promise<Set<string>>;
  recordDeliveries(id: number, emails: readonly { email: string; error?: string }[], now: Date): Promise<void>;
  markSent(id: number, token: string, recipients: number, now: Date, note: string | null): Promise<boolean>;
  /** back to pending after a failed send, for the next run */
  release(id: number, token: string, error: string): Promise<void>;
  /** a row that is sent at once by its caller (the test email), already claimed */
  insertClaimed(item: DueNotification, token: string, now: Date): Promise<number>;
  markFailed(id: number, token: string, error: string): Promise<void>;
  /**
   * Gives up the pending notifications about a license that is no longer the current one (a
   * reminder held back by an SMTP outage must not go out after the renewal). Returns how many.
   */
  supersede(currentLid: string): Promise<number>;
  /** Gives up the current license's pending notifications of these kinds (their moment passed). */
  dropOvertaken(lid: string, kinds: readonly string[]): Promise<number>;
  countPending(): Promise<number>;
  /** the latest notifications first; `before` an id: only those older than it (paging) */
  list(limit: number, before?: number | null): Promise<NotificationRow[]>;
}

/** The outbox on the `license_notifications` and `license_notification_deliveries` tables. */
export function createOutbox(knex: Knex): Outbox {
  const claimableWhere = (q: Knex.QueryBuilder, staleBefore: Date): Knex.QueryBuilder =>
    q.where((w) => w.where('status', 'pending').orWhere((s) => s.where('status', 'sending').andWhere('claimed_at', '<=', staleBefore.getTime())));

  return {
    async enqueue(items, now, targets = []) {
      if (items.length === 0) return;
      const rows = items
        .flatMap((n) => [{ ...n, target: null as string | null }, ...targets.map((target) => ({ ...n, dedupKey: `${n.dedupKey}>${target}`, target }))])
        .map((n) => ({
          dedup_key: n.dedupKey,
          kind: n.kind,
          lid: n.lid,
          status: 'pending',
          data: JSON.stringify(n.facts),
          recipients: 0,
          attempts: 0,
          created_at: now.getTime(),
          target: n.target,
        }));
      await knex(T).insert(rows).onConflict('dedup_key').ignore();
    },

    async history(lid) {
      if (lid === null) return new Set();
      const rows: { dedup_key: string }[] = await knex(T).select('dedup_key').where({ lid });
      return new Set(rows.map((r) => r.dedup_key));
    },

    async claimable(staleBefore, channel = 'mail') {
      const query = claimableWhere(knex(T).select('*'), staleBefore);
      if (channel === 'mail') query.whereNull('target');
      else query.whereNotNull('target');
      const rows: DbRow[] = await query.orderBy('id', 'asc');
      return rows.map(toOutboxRow);
    },

    async claim(id, token, now, staleBefore) {
      const count = await claimableWhere(knex(T).where({ id }), staleBefore).update({ status: 'sending', claim_token: token, claimed_at: now.getTime() });
      return num(count) === 1;
    },

    async messageId(id, proposed) {
      await knex(T).where({ id }).whereNull('message_id').update({ message_id: proposed });
      const row = (await knex(T).where({ id }).first('message_id')) as { message_id: string | null } | undefined;
      return row?.message_id ?? proposed;
    },

    async handled(id) {
      const rows: { email: string }[] = await knex(D).select('email').where({ notification_id: id });
      return new Set(rows.map((r) => r.email));
    },

    async recordDeliveries(id, emails, now) {
      for (let i = 0; i < emails.length; i += DELIVERY_BATCH) {
        const rows = emails.slice(i, i + DELIVERY_BATCH).map((e) => ({
          notification_id: id,
          email: e.email.toLowerCase(),
          sent_at: now.getTime(),
          error: e.error ?? null,
        }));
        await knex(D).insert(rows).onConflict(['notification_id', 'email']).ignore();
      }
    },

    async markSent(id, token, recipients, now, note) {
      const count = await knex(T)
        .where({ id, claim_token: token, status: 'sending' })
        .update({ status: 'sent', sent_at: now.getTime(), recipients, claim_token: null, last_error: note, attempts: knex.raw('attempts + 1') });
      return num(count) === 1;
    },

    async release(id, token, error) {
      await knex(T)
        .where({ id, claim_token: token, status: 'sending' })
        .update({ status: 'pending', claim_token: null, last_error: error.slice(0, 2000), attempts: knex.raw('attempts + 1') });
    },

    async insertClaimed(item, token, now) {
      await knex(T).insert({
        dedup_key: item.dedupKey,
        kind: item.kind,
        lid: item.lid,
        status: 'sending',
        claim_token: token,
        claimed_at: now.getTime(),
        data: JSON.stringify(item.facts),
        recipients: 0,
        attempts: 0,
        created_at: now.getTime(),
      });
      // NOTE: looked up by its unique key rather than by the insert's returned id, which each
      // dialect reports differently.
      const row = await knex(T).select('id').where({ dedup_key: item.dedupKey }).first();
      return num(row.id);
    },

    async markFailed(id, token, error) {
      await knex(T)
        .where({ id, claim_token: token })
        .update({ status: 'failed', claim_token: null, last_error: error.slice(0, 2000), attempts: knex.raw('attempts + 1') });
    },

    async supersede(currentLid) {
      const count = await knex(T)
        .where({ status: 'pending' })
        .whereNot({ kind: 'test' })
        .andWhere((w) => w.whereNull('lid').orWhereNot({ lid: currentLid }))
        .update({ status: 'failed', last_error: 'Not sent: the license it is about is no longer the current one.' });
      return num(count);
    },

    async dropOvertaken(lid, kinds) {
      if (kinds.length === 0) return 0;
      const count = await knex(T)
        .where({ status: 'pending', lid })
        .whereIn('kind', kinds)
        .update({ status: 'failed', last_error: 'Not sent: its moment has passed (a later notice replaces it).' });
      return num(count);
    },

    async countPending() {
      const row = await knex(T).whereIn('status', ['pending', 'sending']).count({ n: '*' }).first();
      return num(row?.n);
    },

    async list(limit, before = null) {
      const q = knex(T).select('*').orderBy('id', 'desc').limit(limit);
      if (before !== null) q.where('id', '<', before);
      const rows: DbRow[] = await q;
      return rows.map(toNotificationRow);
    },
  };
}
