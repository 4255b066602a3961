/**
 * Rows of the registry that the vendor portal needs beyond issuing: account search and the
 * prospect flag, subscription fields, revocations, events (the timeline and the audit log) and
 * license requests waiting for a sales approval. Dialect-free like `store.ts`.
 */
import type { Knex } from 'knex';
import * as store from './store.js';
import type { Account, IssuedLicense, IssueRequest, Subscription } from './types.js';

// NOTE: '!' escapes LIKE wildcards: a backslash would need escaping itself in MySQL's string literals.
const LIKE_SPECIAL = /[!%_]/g;

/** Accounts whose company, name or account ID contains `query` (any case), by company; at most `limit`. */
export async function searchAccounts(db: Knex, query: string, limit: number): Promise<Account[]> {
  const q = db<store.AccountRow>('vendor_accounts')
    .orderBy([{ column: 'company' }, { column: 'id' }])
    .limit(limit);
  const needle = query.trim().toLowerCase();
  if (needle) {
    const pattern = `%${needle.replace(LIKE_SPECIAL, (c) => `!${c}`)}%`;
    q.where((w) => {
      for (const column of ['company', 'name', 'account_id']) w.orWhereRaw(`lower(??) like ? escape '!'`, [column, pattern]);
    });
  }
  return (await q).map(store.toAccount).map(({ pk: _pk, ...a }) => a);
}

export async function setProspect(db: Knex, accountPk: number, prospect: boolean): Promise<void> {
  await db('vendor_accounts').where({ id: accountPk }).update({ prospect });
}

export async function updateSubscriptionFields(
  db: Knex,
  id: string,
  changes: { crmSubscriptionId?: string | null; hostedServices?: boolean; archivedAt?: Date; archiveReason?: string },
): Promise<void> {
  const row: Record<string, unknown> = {};
  if (changes.crmSubscriptionId !== undefined) row.crm_subscription_id = changes.crmSubscriptionId;
  if (changes.hostedServices !== undefined) row.hosted_services = changes.hostedServices;
  if (changes.archivedAt !== undefined) row.archived_at = changes.archivedAt.getTime();
  if (changes.archiveReason !== undefined) row.archive_reason = changes.archiveReason;
  await db('vendor_subscriptions').where({ id }).update(row);
}

/**
 * Revokes licenses (rows of `vendor_revocations`, SPEC 18.2); those already revoked keep their
 * first revocation. Resolves to the lids revoked now.
 */
export async function revokeLicenses(db: Knex, where: { subscription: string }, r: { at: Date; reason: string; by: string }): Promise<string[]> {
  const open = await db('vendor_licenses as l')
    .leftJoin('vendor_revocations as r', 'r.lid', 'l.lid')
    .where('l.subscription', where.subscription)
    .whereNull('r.lid')
    .select<{ lid: string }[]>('l.lid');
  for (const { lid } of open) {
    await db('vendor_revocations').insert({ lid, reason: r.reason, issued_by: r.by, at: r.at.getTime() }).onConflict('lid').ignore();
  }
  return open.map((o) => o.lid);
}

/** Licenses of a subscription, newest first. */
export async function licensesOfSubscription(db: Knex, subscription: string): Promise<IssuedLicense[]> {
  const rows = await store
    .licenseQuery(db)
    .where('l.subscription', subscription)
    .orderBy([
      { column: 'l.issued_at', order: 'desc' },
      { column: 'l.id', order: 'desc' },
    ]);
  return (rows as (store.LicenseRow & { account_name: string })[]).map(store.toLicense);
}

/** The latest licenses, newest first, at most `limit`. */
export async function latestLicenses(db: Knex, limit: number, account?: number): Promise<IssuedLicense[]> {
  const q = store
    .licenseQuery(db)
    .orderBy([
      { column: 'l.issued_at', order: 'desc' },
      { column: 'l.id', order: 'desc' },
    ])
    .limit(limit);
  if (account !== undefined) q.where('l.account', account);
  return ((await q) as (store.LicenseRow & { account_name: string })[]).map(store.toLicense);
}

export async function subscriptionsOfAccount(db: Knex, accountPk: number): Promise<Subscription[]> {
  return (await store.subscriptionsOf(db, accountPk)).map(({ accountPk: _a, ...s }) => s);
}

/** One thing that happened, by whom: a subscription's timeline entry and a line of the audit log. */
export interface RegistryEvent {
  id: number;
  at: Date;
  actor: string;
  action: string;
  account: string | null;
  subscription: string | null;
  detail: Record<string, unknown>;
}

interface EventRow {
  id: number;
  at: number | string;
  actor: string;
  action: string;
  account: string | null;
  subscription: string | null;
  detail: string;
}

const toEvent = (r: EventRow): RegistryEvent => ({
  id: Number(r.id),
  at: new Date(Number(r.at)),
  actor: r.actor,
  action: r.action,
  account: r.account,
  subscription: r.subscription,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

export async function insertEvent(db: Knex, e: Omit<RegistryEvent, 'id'>): Promise<void> {
  await db('vendor_events').insert({
    at: e.at.getTime(),
    actor: e.actor,
    action: e.action,
    account: e.account,
    subscription: e.subscription,
    detail: JSON.stringify(e.detail),
  });
}

/** Events newest first: of one subscription, or all (the audit log), at most `limit`. */
export async function listEvents(db: Knex, o: { subscription?: string; limit: number }): Promise<RegistryEvent[]> {
  const q = db<EventRow>('vendor_events').orderBy('id', 'desc').limit(o.limit);
  if (o.subscription !== undefined) q.where({ subscription: o.subscription });
  return (await q).map(toEvent);
}

/** A key for a prospect account, waiting for a sales approval. */
export interface LicenseRequest {
  id: string;
  subscription: string;
  request: Omit<IssueRequest, 'privateJwk'>;
  status: 'pending' | 'issued';
  requestedBy: string;
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  lid: string | null;
  /** The account the subscription belongs to, and its company name: what sales approves for (issue 23.8). */
  account?: string;
  company?: string;
}

interface RequestRow {
  id: string;
  subscription: string;
  request: string;
  status: string;
  requested_by: string;
  requested_at: number | string;
  decided_by: string | null;
  decided_at: number | string | null;
  lid: string | null;
  account_name?: string;
  company?: string;
}

const toRequest = (r: RequestRow): LicenseRequest => ({
  id: r.id,
  subscription: r.subscription,
  request: JSON.parse(r.request) as LicenseRequest['request'],
  status: r.status as LicenseRequest['status'],
  requestedBy: r.requested_by,
  requestedAt: new Date(Number(r.requested_at)),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at === null ? null : new Date(Number(r.decided_at)),
  lid: r.lid,
  ...(r.account_name !== undefined ? { account: r.account_name, company: r.company } : {}),
});

export async function insertRequest(db: Knex, r: Pick<LicenseRequest, 'id' | 'subscription' | 'request' | 'requestedBy' | 'requestedAt'>): Promise<void> {
  await db('vendor_license_requests').insert({
    id: r.id,
    subscription: r.subscription,
    request: JSON.stringify(r.request),
    status: 'pending',
    requested_by: r.requestedBy,
    requested_at: r.requestedAt.getTime(),
  });
}

export async function findRequest(db: Knex, id: string): Promise<LicenseRequest | undefined> {
  const row = await db<RequestRow>('vendor_license_requests').where({ id }).first();
  return row ? toRequest(row) : undefined;
}

/** Requests newest first; `status` filters. */
export async function listRequests(db: Knex, o: { status?: LicenseRequest['status']; limit: number }): Promise<LicenseRequest[]> {
  const q = db('vendor_license_requests as r')
    .join('vendor_subscriptions as s', 's.id', 'r.subscription')
    .join('vendor_accounts as a', 'a.id', 's.account')
    .select('r.*', 'a.name as account_name', 'a.company as company')
    .orderBy([{ column: 'r.requested_at', order: 'desc' }, { column: 'r.id' }])
    .limit(o.limit);
  if (o.status) q.where('r.status', o.status);
  return ((await q) as RequestRow[]).map(toRequest);
}

/** Claims a pending request for issuing (compare-and-set): false when someone else decided it first. */
export async function decideRequest(db: Knex, id: string, d: { by: string; at: Date; lid: string }): Promise<boolean> {
  const n = await db('vendor_license_requests')
    .where({ id, status: 'pending' })
    .update({ status: 'issued', decided_by: d.by, decided_at: d.at.getTime(), lid: d.lid });
  return Number(n) === 1;
}

/** Subscriptions with at least one imported usage report (SPEC 18.1), newest import first. */
export async function subscriptionsWithUsage(db: Knex, limit: number): Promise<string[]> {
  const rows = await db('vendor_usage_reports')
    .select('subscription')
    .max({ last: 'imported_at' })
    .groupBy('subscription')
    .orderBy('last', 'desc')
    .limit(limit);
  return (rows as unknown as { subscription: string }[]).map((r) => r.subscription);
}
