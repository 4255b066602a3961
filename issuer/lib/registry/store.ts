/**
 * Rows of the vendor registry in and out. Query code is dialect-free; values that come back
 * differently per driver (pg's bigint as text, SQLite/MySQL booleans as 0/1) are mapped here.
 */
import type { Knex } from 'knex';
import type { LicensePayload } from 'license-manager/formats';
import type { Account, IssuedLicense, Subscription } from './types.js';

export interface AccountRow {
  id: number;
  name: string;
  company: string;
  account_id: string;
  prospect: boolean | number;
  created_at: number | string;
}
export interface SubscriptionRow {
  id: string;
  account: number;
  plan: string;
  ends: string;
  users: number | null;
  loc: number | string | null;
  edition: string;
  production_server_id: string | null;
  created_at: number | string;
  account_name?: string;
  crm_subscription_id: string | null;
  hosted_services: boolean | number;
  archived_at: number | string | null;
  archive_reason: string | null;
}
export interface LicenseRow {
  lid: string;
  subscription: string | null;
  account: number;
  type: string;
  emergency: boolean | number;
  server_id: string;
  claims: string;
  key_text: string;
  exp: number | string;
  grace: number;
  issued_by: string;
  issued_at: number | string;
  ticket: string | null;
  email_to: string | null;
  email_outcome: string | null;
  account_name?: string;
  opportunity_id: string | null;
  revoked_at: number | string | null;
  revoke_reason: string | null;
  revoked_by: string | null;
}

const num = (v: number | string) => Number(v);
const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));
const dateOrNull = (v: number | string | null) => (v === null || v === undefined ? null : new Date(Number(v)));

export type StoredAccount = Account & { pk: number };
export type StoredSubscription = Subscription & { accountPk: number };

export function toAccount(r: AccountRow): StoredAccount {
  return { pk: r.id, name: r.name, company: r.company, accountId: r.account_id, prospect: Boolean(r.prospect), createdAt: new Date(num(r.created_at)) };
}

export function toSubscription(r: SubscriptionRow & { account_name: string }): StoredSubscription {
  return {
    id: r.id,
    account: r.account_name,
    accountPk: r.account,
    plan: r.plan,
    ends: r.ends,
    users: r.users,
    loc: numOrNull(r.loc),
    edition: r.edition,
    productionServerId: r.production_server_id,
    createdAt: new Date(num(r.created_at)),
    crmSubscriptionId: r.crm_subscription_id,
    hostedServices: Boolean(r.hosted_services),
    archivedAt: dateOrNull(r.archived_at),
    archiveReason: r.archive_reason,
  };
}

export function toLicense(r: LicenseRow & { account_name: string }): IssuedLicense {
  return {
    lid: r.lid,
    subscription: r.subscription,
    account: r.account_name,
    type: r.type as LicensePayload['type'],
    emergency: Boolean(r.emergency),
    serverId: r.server_id,
    claims: JSON.parse(r.claims) as LicensePayload,
    key: r.key_text,
    exp: new Date(num(r.exp) * 1000),
    grace: r.grace,
    issuedBy: r.issued_by,
    issuedAt: new Date(num(r.issued_at)),
    ticket: r.ticket,
    emailTo: r.email_to,
    emailOutcome: r.email_outcome,
    opportunityId: r.opportunity_id,
    revokedAt: dateOrNull(r.revoked_at),
    revokeReason: r.revoke_reason,
    revokedBy: r.revoked_by,
  };
}

export async function findAccount(db: Knex, where: { name: string } | { account_id: string }): Promise<StoredAccount | undefined> {
  const row = await db<AccountRow>('vendor_accounts').where(where).first();
  return row ? toAccount(row) : undefined;
}

export async function insertAccount(db: Knex, a: { name: string; company: string; accountId: string; createdAt: Date }): Promise<void> {
  await db('vendor_accounts').insert({ name: a.name, company: a.company, account_id: a.accountId, created_at: a.createdAt.getTime() });
}

export async function insertSubscription(
  db: Knex,
  s: Omit<Subscription, 'account' | 'productionServerId' | 'hostedServices' | 'archivedAt' | 'archiveReason' | 'crmSubscriptionId'> & {
    accountPk: number;
    crmSubscriptionId?: string | null;
  },
): Promise<void> {
  await db('vendor_subscriptions').insert({
    id: s.id,
    account: s.accountPk,
    plan: s.plan,
    ends: s.ends,
    users: s.users,
    loc: s.loc,
    edition: s.edition,
    production_server_id: null,
    created_at: s.createdAt.getTime(),
    crm_subscription_id: s.crmSubscriptionId ?? null,
  });
}

export const subscriptionQuery = (db: Knex) =>
  db<SubscriptionRow>('vendor_subscriptions as s').join('vendor_accounts as a', 'a.id', 's.account').select('s.*', 'a.name as account_name');

export async function findSubscription(db: Knex, id: string): Promise<StoredSubscription | undefined> {
  const row = await subscriptionQuery(db).where('s.id', id).first();
  return row ? toSubscription(row as SubscriptionRow & { account_name: string }) : undefined;
}

export async function subscriptionsOf(db: Knex, accountPk: number): Promise<StoredSubscription[]> {
  const rows = await subscriptionQuery(db)
    .where('s.account', accountPk)
    .orderBy([{ column: 's.created_at' }, { column: 's.id' }]);
  return (rows as (SubscriptionRow & { account_name: string })[]).map(toSubscription);
}

/** Subscriptions whose production instance is this server ID. */
export async function subscriptionsBoundTo(db: Knex, serverId: string): Promise<StoredSubscription[]> {
  const rows = await subscriptionQuery(db).where('s.production_server_id', serverId);
  return (rows as (SubscriptionRow & { account_name: string })[]).map(toSubscription);
}

export async function updateSubscription(db: Knex, id: string, changes: { ends: string; users?: number | null; loc?: number | null }): Promise<void> {
  const row: Record<string, unknown> = { ends: changes.ends };
  if (changes.users !== undefined) row.users = changes.users;
  if (changes.loc !== undefined) row.loc = changes.loc;
  await db('vendor_subscriptions').where({ id }).update(row);
}

/**
 * Binds the subscription to its production server ID once: a compare-and-set, so of two
 * concurrent first issues only one wins. Resolves to the server ID now bound.
 */
export async function bindProduction(db: Knex, subscription: string, serverId: string): Promise<string> {
  await db('vendor_subscriptions').where({ id: subscription }).whereNull('production_server_id').update({ production_server_id: serverId });
  const row = await db<SubscriptionRow>('vendor_subscriptions').where({ id: subscription }).first('production_server_id');
  return row!.production_server_id!;
}

export interface LicenseInsert {
  claims: LicensePayload;
  key: string;
  subscription: string | null;
  accountPk: number;
  emergency: boolean;
  grace: number;
  issuedBy: string;
  issuedAt: Date;
  ticket: string | null;
  emailTo: string | null;
  emailOutcome: string | null;
  opportunityId?: string | null;
}

export async function insertLicense(db: Knex, l: LicenseInsert): Promise<void> {
  await db('vendor_licenses').insert({
    lid: l.claims.lid,
    subscription: l.subscription,
    account: l.accountPk,
    type: l.claims.type,
    emergency: l.emergency,
    server_id: l.claims.serverId,
    claims: JSON.stringify(l.claims),
    key_text: l.key,
    exp: l.claims.exp,
    grace: l.grace,
    issued_by: l.issuedBy,
    issued_at: l.issuedAt.getTime(),
    ticket: l.ticket,
    email_to: l.emailTo,
    email_outcome: l.emailOutcome,
    opportunity_id: l.opportunityId ?? null,
  });
}

export async function setEmailOutcome(db: Knex, lid: string, outcome: string): Promise<void> {
  await db('vendor_licenses').where({ lid }).update({ email_outcome: outcome });
}

export const licenseQuery = (db: Knex) =>
  db<LicenseRow>('vendor_licenses as l')
    .join('vendor_accounts as a', 'a.id', 'l.account')
    .leftJoin('vendor_revocations as r', 'r.lid', 'l.lid')
    .select('l.*', 'a.name as account_name', 'r.at as revoked_at', 'r.reason as revoke_reason', 'r.issued_by as revoked_by');

export async function findLicense(db: Knex, lid: string): Promise<IssuedLicense | undefined> {
  const row = await licenseQuery(db).where('l.lid', lid).first();
  return row ? toLicense(row as LicenseRow & { account_name: string }) : undefined;
}

/** The account's most recently issued license that is not an emergency one. */
export async function lastRegularLicense(db: Knex, accountPk: number): Promise<IssuedLicense | undefined> {
  const row = await licenseQuery(db)
    .where('l.account', accountPk)
    .andWhere('l.emergency', false)
    .orderBy([
      { column: 'l.issued_at', order: 'desc' },
      { column: 'l.id', order: 'desc' },
    ])
    .first();
  return row ? toLicense(row as LicenseRow & { account_name: string }) : undefined;
}

/**
 * The license an emergency key restores (issue 23.1): the account's most recent production
 * license, not an emergency one, of one of `subscriptions` (its paid ones). A staging key, a
 * prospect's or a trial's is never what production needs back.
 */
export async function lastRestorableLicense(db: Knex, accountPk: number, subscriptions: string[]): Promise<IssuedLicense | undefined> {
  if (subscriptions.length === 0) return undefined;
  const row = await licenseQuery(db)
    .where('l.account', accountPk)
    .andWhere('l.emergency', false)
    .andWhere('l.type', 'production')
    .whereIn('l.subscription', subscriptions)
    .orderBy([
      { column: 'l.issued_at', order: 'desc' },
      { column: 'l.id', order: 'desc' },
    ])
    .first();
  return row ? toLicense(row as LicenseRow & { account_name: string }) : undefined;
}

/** Issued licenses, oldest first, of one account or of all. */
export async function listLicenses(db: Knex, accountPk?: number): Promise<IssuedLicense[]> {
  const q = licenseQuery(db).orderBy([{ column: 'l.issued_at' }, { column: 'l.id' }]);
  if (accountPk !== undefined) q.where('l.account', accountPk);
  return ((await q) as (LicenseRow & { account_name: string })[]).map(toLicense);
}
