import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { openDb } from 'license-manager/shared';
import { migrateLatest, schemaNewerError } from 'license-manager/shared';
import { issuerVersion } from '../version.js';
import { vendorMigrations, VENDOR_MIGRATIONS_TABLE } from '../../migrations/index.js';
import { endOfDayUtc } from 'license-manager/formats';
import { accountName } from './account-name.js';
import { registryAdmin, type RegistryAdmin } from './admin.js';
import { setProspect } from './admin-store.js';
import { issueEmergency, previewEmergency, type EmergencyPreview } from './issue-emergency.js';
import { issueSubscriptionKey } from './issue-key.js';
import { publicRecord, requireAccount, requireSubscription } from './lookup.js';
import type { Mailer } from './mailer.js';
import { registryMessages as m } from './messages.js';
import * as store from './store.js';
import { listRevocations, makeRevocationList, revoke } from './revocations.js';
import { importUsageReport, usageSummary, type UsageImport, type UsageSummary } from './usage.js';
import { approveMove, importMove, listMoves, moveBudget, setMoveBudget, type Move, type MoveImport, type MoveStatus } from './moves.js';
import type { Account, EmergencyRequest, EmergencyResult, IssuedLicense, IssueRequest, Revocation, RevocationList, Subscription } from './types.js';
import type { PrivateJwk } from 'license-manager/formats';
import { optionalLimit, optionalText, word } from './validate.js';

export const DEFAULT_REGISTRY_URL = 'sqlite:./vendor-registry.db';

export interface VendorRegistryOptions {
  /** A knex instance (left open on close), a knex config or a URL; default `sqlite:./vendor-registry.db`. */
  db?: Knex | Knex.Config | string;
  /** The clock; every rule is judged against it. */
  now?: () => Date;
  /** Where emergency keys are mailed; without one the outcome records that mail is not configured. */
  mailer?: Mailer;
}

export interface VendorRegistry extends RegistryAdmin {
  /** The registry's database (the vendor portal keeps its users and sessions there too). */
  readonly db: Knex;
  /** The registry's clock. */
  readonly now: () => Date;
  /** Adds `Company_Name-UniqueAccountID`; the same company and ID again returns the existing account. */
  addCustomer(o: { company: string; accountId: string; prospect?: boolean; actor?: string }): Promise<Account>;
  addSubscription(o: {
    account: string;
    plan: string;
    ends: string;
    users?: number;
    loc?: number;
    edition?: string;
    crmSubscriptionId?: string;
    actor?: string;
  }): Promise<Subscription>;
  /** A new contract end (and limits) for the same subscription and instance: later keys follow it. */
  renewSubscription(o: { subscription: string; ends: string; users?: number; loc?: number; actor?: string }): Promise<Subscription>;
  getSubscription(id: string): Promise<Subscription>;
  issue(o: IssueRequest): Promise<IssuedLicense>;
  emergency(o: EmergencyRequest): Promise<EmergencyResult>;
  /** What an emergency license for the account would turn on now, or its refusal (EMERGENCY_NOT_ELIGIBLE): shown before issuing. */
  emergencyPreview(o: { account: string; users?: number }): Promise<EmergencyPreview>;
  /** Issued licenses, oldest first, of one account or of all. */
  list(o?: { account?: string }): Promise<IssuedLicense[]>;
  /** Records a revocation (SPEC 18.2); revoking the same license again keeps the first record. */
  revoke(o: { lid: string; reason: string; issuedBy: string }): Promise<Revocation>;
  /** Every revocation, oldest first. */
  revocations(): Promise<Revocation[]>;
  /** A signed list of every revocation, numbered one above the last list made. */
  revocationList(o: { privateJwk: PrivateJwk }): Promise<RevocationList>;
  /** Verifies and stores an instance's usage report (SPEC 18.1); USAGE_REPORT_REJECTED says why not. */
  importUsageReport(text: string): Promise<UsageImport>;
  /** Each month's peak, limit and overage of a subscription, with the reports and missing ones. */
  usage(subscription: string): Promise<UsageSummary>;
  /**
   * SPEC 22: imports a move request; within the subscription's move budget the key for the new
   * server ID is issued at once, beyond it the move waits for an engineer. MOVE_REJECTED says why not.
   */
  importMove(o: { text: string; privateJwk: PrivateJwk; importedBy: string }): Promise<MoveImport>;
  /** Issues the key of a move that waits for an engineer. */
  approveMove(o: { id: string; approvedBy: string; privateJwk: PrivateJwk }): Promise<MoveImport>;
  /** Moves newest first: of a subscription, waiting ones, or all. */
  moves(o?: { subscription?: string; status?: MoveStatus; limit?: number }): Promise<Move[]>;
  /** Moves a year issued without review (default 2). */
  moveBudget(subscription: string): Promise<number>;
  setMoveBudget(o: { subscription: string; perYear: number; actor?: string }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the vendor registry (SPEC 11) and brings its tables up to date (`vendor_*`, migrations
 * table `vendor_migrations`).
 * @example
 * const registry = await openVendorRegistry({ db: 'sqlite:./vendor-registry.db', mailer: smtpMailer(process.env.SMTP_URL!) });
 * const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' }); // Acme_Corp-A1001
 * const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-12-31', users: 50 });
 * const { key } = await registry.issue({ privateJwk, subscription: sub.id, serverId, issuedBy: 'alice' });
 */
export async function openVendorRegistry(options: VendorRegistryOptions = {}): Promise<VendorRegistry> {
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function that returns a Date.');
  if (options.mailer !== undefined && typeof options.mailer?.send !== 'function') throw new TypeError('mailer must have a send(message) method.');
  // NOTE: the composition root is the one place the system clock may be the default.
  const now = options.now ?? (() => new Date());
  const { knex: db, owned } = openDb(options.db ?? DEFAULT_REGISTRY_URL);
  try {
    // SPEC 24: tools older than the registry (it ran a migration they do not know) change nothing in it
    const outcome = await migrateLatest(db, { tableName: VENDOR_MIGRATIONS_TABLE, migrations: vendorMigrations, moduleVersion: issuerVersion, now });
    if (outcome.unknown.length > 0)
      throw schemaNewerError({ moduleVersion: issuerVersion, state: outcome, what: 'vendor registry', product: 'license-manager-issuer' });
  } catch (err) {
    if (owned) await db.destroy();
    throw err;
  }

  const extra = registryAdmin(db, now);
  const event = extra.recordEvent;
  return {
    ...extra,
    db,
    now,
    async addCustomer(o) {
      const wanted = accountName(o.company, o.accountId);
      const byId = await store.findAccount(db, { account_id: wanted.accountId });
      if (byId) {
        // NOTE: adding the same customer twice is harmless (scripts re-run); reusing the ID is not.
        if (byId.name === wanted.name) return publicRecord(byId);
        throw new LicenseError('VALIDATION_FAILED', { detail: m.accountIdTaken(wanted.accountId, byId.name), data: { accountId: wanted.accountId } });
      }
      await store.insertAccount(db, { ...wanted, createdAt: now() });
      const added = (await store.findAccount(db, { name: wanted.name }))!;
      if (o.prospect) await setProspect(db, added.pk, true); // part of adding it: one event below
      await event({ actor: o.actor ?? 'vendor', action: 'customer_added', account: added.name, detail: { prospect: Boolean(o.prospect) } });
      return publicRecord((await store.findAccount(db, { name: wanted.name }))!);
    },

    async addSubscription(o) {
      const owner = await requireAccount(db, o.account);
      endOfDayUtc(o.ends); // a TypeError for anything but a real YYYY-MM-DD
      const row = {
        id: randomUUID(),
        accountPk: owner.pk,
        plan: word(o.plan, m.planInvalid).toLowerCase(),
        ends: o.ends,
        users: optionalLimit(o.users, 'users'),
        loc: optionalLimit(o.loc, 'loc'),
        edition: word(o.edition ?? 'enterprise', m.editionInvalid),
        crmSubscriptionId: optionalText(o.crmSubscriptionId, 'The CRM subscription ID'),
        createdAt: now(),
      };
      await store.insertSubscription(db, row);
      await event({
        actor: o.actor ?? 'vendor',
        action: 'subscription_added',
        account: owner.name,
        subscription: row.id,
        detail: { plan: row.plan, ends: row.ends },
      });
      return publicRecord((await store.findSubscription(db, row.id))!);
    },

    async renewSubscription(o) {
      const sub = await requireSubscription(db, o.subscription);
      endOfDayUtc(o.ends);
      await store.updateSubscription(db, sub.id, {
        ends: o.ends,
        users: o.users === undefined ? undefined : optionalLimit(o.users, 'users'),
        loc: o.loc === undefined ? undefined : optionalLimit(o.loc, 'loc'),
      });
      await event({
        actor: o.actor ?? 'vendor',
        action: 'subscription_renewed',
        account: sub.account,
        subscription: sub.id,
        detail: { from: sub.ends, ends: o.ends },
      });
      return publicRecord((await store.findSubscription(db, sub.id))!);
    },

    async getSubscription(id) {
      return publicRecord(await requireSubscription(db, id));
    },

    async issue(o) {
      const issued = await issueSubscriptionKey(db, now(), o);
      await event({
        actor: issued.issuedBy,
        action: 'license_issued',
        account: issued.account,
        subscription: issued.subscription,
        detail: { lid: issued.lid, type: issued.type },
      });
      return issued;
    },

    async emergency(o) {
      const result = await issueEmergency(db, now(), options.mailer, o);
      const l = result.license;
      await event({
        actor: l.issuedBy,
        action: 'emergency_issued',
        account: l.account,
        subscription: l.subscription,
        detail: { lid: l.lid, ticket: l.ticket, emailed: result.emailed },
      });
      return result;
    },

    async emergencyPreview(o) {
      return previewEmergency(db, now(), o);
    },

    async list(o = {}) {
      return store.listLicenses(db, o.account === undefined ? undefined : (await requireAccount(db, o.account)).pk);
    },

    async revoke(o) {
      const existed = typeof o?.lid === 'string' && (await db('vendor_revocations').where({ lid: o.lid.trim() }).first('lid'));
      const revocation = await revoke(db, now(), o);
      const license = (await store.findLicense(db, revocation.lid))!;
      if (!existed) {
        await event({
          actor: revocation.issuedBy,
          action: 'license_revoked',
          account: license.account,
          subscription: license.subscription,
          detail: { lid: license.lid, reason: revocation.reason },
        });
      }
      return revocation;
    },

    revocations: () => listRevocations(db),

    revocationList: (o) => makeRevocationList(db, now(), o.privateJwk),

    importUsageReport: (text) => importUsageReport(db, now(), text),

    usage: (subscription) => usageSummary(db, subscription),

    async importMove(o) {
      const result = await importMove(db, now(), o);
      if (!result.duplicate) {
        const { move } = result;
        await event({
          actor: move.importedBy,
          action: move.status === 'issued' ? 'move_issued' : 'move_waiting',
          account: move.account,
          subscription: move.subscription,
          detail: {
            move: move.id,
            from: move.oldServerId,
            to: move.newServerId,
            lid: move.lid,
            reason: move.reason,
            ...(move.whyWaiting ? { waiting: move.whyWaiting } : {}),
          },
        });
      }
      return result;
    },

    async approveMove(o) {
      const result = await approveMove(db, now(), o);
      const { move } = result;
      await event({
        actor: move.decidedBy!,
        action: 'move_approved',
        account: move.account,
        subscription: move.subscription,
        detail: { move: move.id, from: move.oldServerId, to: move.newServerId, lid: move.lid },
      });
      return result;
    },

    moves: (o = {}) => listMoves(db, o),
    moveBudget: async (subscription) => moveBudget(db, (await requireSubscription(db, subscription)).id),

    async setMoveBudget(o) {
      const sub = await requireSubscription(db, o.subscription);
      const from = await moveBudget(db, sub.id);
      await setMoveBudget(db, sub.id, o.perYear);
      await event({ actor: o.actor ?? 'vendor', action: 'move_budget_set', account: sub.account, subscription: sub.id, detail: { from, to: o.perYear } });
      return o.perYear;
    },

    async close() {
      if (owned) await db.destroy();
    },
  };
}
