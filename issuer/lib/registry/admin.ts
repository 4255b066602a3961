/**
 * What the vendor portal does with the registry beyond issuing (SPEC 19): customer search and
 * the prospect flag, CRM IDs, the hosted-services switch and its entitlements, archiving with
 * revocation, keys for prospects waiting for a sales approval, and the events that make a
 * subscription's timeline and the audit log. Every change is recorded as an event with its actor.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import type { LicensePayload } from 'license-manager/formats';
import type { PrivateJwk } from 'license-manager/formats';
import * as admin from './admin-store.js';
import { issueSubscriptionKey, planSubscriptionKey } from './issue-key.js';
import { publicRecord, requireAccount, requireSubscription } from './lookup.js';
import { registryMessages as m } from './messages.js';
import { contractExp } from './rules.js';
import * as store from './store.js';
import type { Account, IssuedLicense, IssueRequest, LicenseStatus, Subscription } from './types.js';
import { optionalText, text } from './validate.js';

/** What the vendor's own services may grant a subscription, read by `registry.entitlements()`. */
export interface Entitlements {
  subscription: string;
  account: string;
  plan: string;
  edition: string;
  /** Last day of the contract. */
  ends: string;
  /** Contract running and not archived. */
  active: boolean;
  /** Access to the hosted services (only while active). */
  hostedServices: boolean;
}

/** A license's status for the vendor: revoked wins, then expired from `exp` on. */
export function licenseStatus(l: Pick<IssuedLicense, 'revokedAt' | 'exp'>, now: Date): LicenseStatus {
  if (l.revokedAt) return 'revoked';
  return now.getTime() >= l.exp.getTime() ? 'expired' : 'active';
}

export interface RegistryAdmin {
  searchCustomers(o?: { query?: string; limit?: number }): Promise<Account[]>;
  getCustomer(name: string): Promise<Account>;
  setProspect(o: { account: string; prospect: boolean; actor: string }): Promise<Account>;
  subscriptionsOf(account: string): Promise<Subscription[]>;
  setCrmSubscriptionId(o: { subscription: string; crmSubscriptionId: string | null; actor: string }): Promise<Subscription>;
  /** Turns access to the hosted services on or off, recorded in the timeline. */
  setHostedServices(o: { subscription: string; enabled: boolean; actor: string }): Promise<Subscription>;
  entitlements(subscription: string): Promise<Entitlements>;
  /** Archives a subscription and revokes its licenses with the reason. */
  archiveSubscription(o: { subscription: string; reason: string; actor: string }): Promise<{ subscription: Subscription; revoked: string[] }>;
  getLicense(lid: string): Promise<IssuedLicense>;
  /** Licenses newest first, of a subscription, of an account, or all; at most `limit` (default 200). */
  licenses(o?: { subscription?: string; account?: string; limit?: number }): Promise<IssuedLicense[]>;
  /** The payload a request would be signed with, after every rule: nothing is stored. */
  preview(o: Omit<IssueRequest, 'privateJwk'>): Promise<LicensePayload>;
  /** A key for a prospect, checked now and kept until sales approves it. */
  requestLicense(o: Omit<IssueRequest, 'privateJwk' | 'approvedBy'> & { requestedBy: string }): Promise<admin.LicenseRequest>;
  /** Issues a waiting request once; a second approval is refused. */
  approveLicense(o: { id: string; approvedBy: string; privateJwk: PrivateJwk }): Promise<IssuedLicense>;
  licenseRequests(o?: { status?: 'pending' | 'issued'; limit?: number }): Promise<admin.LicenseRequest[]>;
  /** Subscriptions that sent usage reports, the latest import first. */
  subscriptionsWithUsage(o?: { limit?: number }): Promise<string[]>;
  /** Newest first: one subscription's timeline, or the whole audit log. */
  events(o?: { subscription?: string; limit?: number }): Promise<admin.RegistryEvent[]>;
  /** Records an event (the portal's sign-ins, users, mail). */
  recordEvent(e: { actor: string; action: string; account?: string | null; subscription?: string | null; detail?: Record<string, unknown> }): Promise<void>;
}

const limitOf = (n: number | undefined, fallback: number) => (Number.isSafeInteger(n) && n! > 0 ? Math.min(n!, 1000) : fallback);

export function registryAdmin(db: Knex, now: () => Date): RegistryAdmin {
  const record: RegistryAdmin['recordEvent'] = (e) =>
    admin.insertEvent(db, {
      at: now(),
      actor: e.actor,
      action: e.action,
      account: e.account ?? null,
      subscription: e.subscription ?? null,
      detail: e.detail ?? {},
    });
  const findLicense = async (lid: string) => {
    const found = await store.findLicense(db, text(lid, 'The license ID'));
    if (!found) throw new LicenseError('VALIDATION_FAILED', { detail: m.licenseUnknown(lid), data: { lid } });
    return found;
  };
  const subscriptionOut = async (id: string) => publicRecord((await store.findSubscription(db, id))!);

  return {
    searchCustomers: (o = {}) => admin.searchAccounts(db, o.query ?? '', limitOf(o.limit, 50)),
    getCustomer: async (name) => publicRecord(await requireAccount(db, name)),

    async setProspect(o) {
      const account = await requireAccount(db, o.account);
      await admin.setProspect(db, account.pk, o.prospect);
      await record({ actor: o.actor, action: o.prospect ? 'prospect_marked' : 'prospect_cleared', account: account.name });
      return publicRecord((await store.findAccount(db, { name: account.name }))!);
    },

    subscriptionsOf: async (account) => admin.subscriptionsOfAccount(db, (await requireAccount(db, account)).pk),

    async setCrmSubscriptionId(o) {
      const sub = await requireSubscription(db, o.subscription);
      const crm = optionalText(o.crmSubscriptionId, 'The CRM subscription ID');
      await admin.updateSubscriptionFields(db, sub.id, { crmSubscriptionId: crm });
      await record({ actor: o.actor, action: 'crm_subscription_id_set', account: sub.account, subscription: sub.id, detail: { crmSubscriptionId: crm } });
      return subscriptionOut(sub.id);
    },

    async setHostedServices(o) {
      const sub = await requireSubscription(db, o.subscription);
      if (sub.hostedServices !== o.enabled) {
        await admin.updateSubscriptionFields(db, sub.id, { hostedServices: o.enabled });
        await record({
          actor: o.actor,
          action: o.enabled ? 'hosted_services_enabled' : 'hosted_services_disabled',
          account: sub.account,
          subscription: sub.id,
        });
      }
      return subscriptionOut(sub.id);
    },

    async entitlements(subscription) {
      const sub = await requireSubscription(db, subscription);
      const active = sub.archivedAt === null && contractExp(sub.ends) * 1000 > now().getTime();
      return {
        subscription: sub.id,
        account: sub.account,
        plan: sub.plan,
        edition: sub.edition,
        ends: sub.ends,
        active,
        hostedServices: active && sub.hostedServices,
      };
    },

    async archiveSubscription(o) {
      const sub = await requireSubscription(db, o.subscription);
      const reason = text(o.reason, 'The reason');
      const at = now();
      const revoked = await db.transaction(async (trx) => {
        if (sub.archivedAt === null) await admin.updateSubscriptionFields(trx, sub.id, { archivedAt: at, archiveReason: reason });
        return admin.revokeLicenses(trx, { subscription: sub.id }, { at, reason, by: o.actor });
      });
      await record({ actor: o.actor, action: 'subscription_archived', account: sub.account, subscription: sub.id, detail: { reason, revoked } });
      return { subscription: await subscriptionOut(sub.id), revoked };
    },

    getLicense: findLicense,

    async licenses(o = {}) {
      if (o.subscription !== undefined) return admin.licensesOfSubscription(db, (await requireSubscription(db, o.subscription)).id);
      const account = o.account === undefined ? undefined : (await requireAccount(db, o.account)).pk;
      return admin.latestLicenses(db, limitOf(o.limit, 200), account);
    },

    preview: async (o) => (await planSubscriptionKey(db, now(), o)).payload,

    async requestLicense(o) {
      const requestedBy = text(o.requestedBy, 'Who asks for it');
      const { subscription, opportunityId } = await planSubscriptionKey(db, now(), o);
      const { requestedBy: _r, ...request } = o;
      const row = {
        id: randomUUID(),
        subscription: subscription.id,
        request: { ...request, opportunityId: opportunityId ?? undefined },
        requestedBy,
        requestedAt: now(),
      };
      await admin.insertRequest(db, row);
      await record({
        actor: requestedBy,
        action: 'license_requested',
        account: subscription.account,
        subscription: subscription.id,
        detail: { request: row.id },
      });
      return (await admin.findRequest(db, row.id))!;
    },

    async approveLicense(o) {
      const approvedBy = text(o.approvedBy, 'Who approves it');
      const request = await admin.findRequest(db, text(o.id, 'The request ID'));
      if (!request) throw new LicenseError('VALIDATION_FAILED', { detail: m.requestUnknown(o.id), data: { request: o.id } });
      if (request.status !== 'pending') throw new LicenseError('VALIDATION_FAILED', { detail: m.requestDecided(o.id), data: { request: o.id } });
      const issued = await db.transaction(async (trx) => {
        const license = await issueSubscriptionKey(trx, now(), { ...request.request, privateJwk: o.privateJwk, issuedBy: request.requestedBy, approvedBy });
        // NOTE: two approvals at once: the loser's transaction rolls its key back.
        if (!(await admin.decideRequest(trx, request.id, { by: approvedBy, at: now(), lid: license.lid }))) {
          throw new LicenseError('VALIDATION_FAILED', { detail: m.requestDecided(o.id), data: { request: o.id } });
        }
        return license;
      });
      await record({
        actor: approvedBy,
        action: 'license_approved',
        account: issued.account,
        subscription: issued.subscription,
        detail: { request: request.id, lid: issued.lid, requestedBy: request.requestedBy },
      });
      return issued;
    },

    licenseRequests: (o = {}) => admin.listRequests(db, { status: o.status, limit: limitOf(o.limit, 200) }),
    subscriptionsWithUsage: (o = {}) => admin.subscriptionsWithUsage(db, limitOf(o.limit, 100)),
    events: (o = {}) => admin.listEvents(db, { subscription: o.subscription, limit: limitOf(o.limit, 200) }),
    recordEvent: record,
  };
}
