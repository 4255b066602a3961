import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { LicenseError } from '../../errors.js';
import { graceDays } from '../../keys/claims.js';
import type { PrivateJwk } from '../../keys/jwk.js';
import { signLicenseKey } from '../../keys/sign.js';
import { openDb } from '../../store/connect.js';
import { migrateLatest } from '../../store/migrate.js';
import { vendorMigrations, VENDOR_MIGRATIONS_TABLE } from '../../../migrations/vendor/index.js';
import { buildPayload, endOfDayUtc } from '../payload.js';
import { accountName } from './account-name.js';
import { buildEmergencyPayload } from './emergency.js';
import { emergencyMail, type Mailer } from './mailer.js';
import { registryMessages as m } from './messages.js';
import { checkContractRunning, checkEmergencyEligible, checkProductionInstance, checkStagingServerId, normaliseServerId } from './rules.js';
import * as store from './store.js';
import type { Account, IssuedLicense, Subscription } from './types.js';
import { cleanList, email, optionalLimit, text, word } from './validate.js';

export const DEFAULT_REGISTRY_URL = 'sqlite:./vendor-registry.db';

export interface VendorRegistryOptions {
  /** A knex instance (kept open on close), a knex config or a URL; default `sqlite:./vendor-registry.db`. */
  db?: Knex | Knex.Config | string;
  /** The clock; every rule is judged against it. */
  now?: () => Date;
  /** Where emergency keys are mailed; without one the outcome records that mail is not configured. */
  mailer?: Mailer;
}

export interface IssueRequest {
  privateJwk: PrivateJwk;
  subscription: string;
  serverId: string;
  type?: 'production' | 'staging';
  features?: readonly string[];
  /** Carried into the key as given, e.g. `true-up`, `instance:test`. */
  tags?: readonly string[];
  issuedBy?: string;
}

export interface EmergencyRequest {
  privateJwk: PrivateJwk;
  account: string;
  users: number;
  email: string;
  issuedBy: string;
  ticket: string;
}

export interface EmergencyResult {
  license: IssuedLicense;
  /** True when the mail was accepted by the SMTP server. */
  emailed: boolean;
}

export interface VendorRegistry {
  addCustomer(o: { company: string; accountId: string }): Promise<Account>;
  addSubscription(o: { account: string; plan: string; ends: string; users?: number; loc?: number; edition?: string }): Promise<Subscription>;
  getSubscription(id: string): Promise<Subscription>;
  issue(o: IssueRequest): Promise<IssuedLicense>;
  emergency(o: EmergencyRequest): Promise<EmergencyResult>;
  list(o?: { account?: string }): Promise<IssuedLicense[]>;
  close(): Promise<void>;
}

/**
 * Opens the vendor registry (SPEC 11) and brings its tables up to date (`vendor_*`, migrations
 * table `vendor_migrations`).
 * @example
 * const registry = await openVendorRegistry({ db: 'sqlite:./vendor-registry.db', now: () => new Date() });
 * const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' }); // Acme_Corp-A1001
 * const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-12-31', users: 50 });
 * const { key } = await registry.issue({ privateJwk, subscription: sub.id, serverId });
 */
export async function openVendorRegistry(options: VendorRegistryOptions = {}): Promise<VendorRegistry> {
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function that returns a Date.');
  // NOTE: the composition root is the one place the system clock may be the default.
  const now = options.now ?? (() => new Date());
  const { knex: db, owned } = openDb(options.db ?? DEFAULT_REGISTRY_URL);
  try {
    await migrateLatest(db, { tableName: VENDOR_MIGRATIONS_TABLE, migrations: vendorMigrations });
  } catch (err) {
    if (owned) await db.destroy();
    throw err;
  }

  const account = async (name: string) => {
    const found = await store.findAccount(db, { name: text(name, 'The account name') });
    if (!found) throw new LicenseError('VALIDATION_FAILED', { detail: m.accountUnknown(name), data: { account: name } });
    return found;
  };
  const subscription = async (id: string) => {
    const found = await store.findSubscription(db, text(id, 'The subscription ID'));
    if (!found) throw new LicenseError('VALIDATION_FAILED', { detail: m.subscriptionUnknown(id), data: { subscription: id } });
    return found;
  };
  const strip = <T extends { accountPk?: number; pk?: number }>(o: T) => {
    const { accountPk: _a, pk: _p, ...rest } = o;
    return rest;
  };

  return {
    async addCustomer(o) {
      const wanted = accountName(o.company, o.accountId);
      const byId = await store.findAccount(db, { account_id: wanted.accountId });
      if (byId) {
        // NOTE: adding the same customer twice is harmless (scripts re-run); reusing the ID is not.
        if (byId.name === wanted.name) return strip(byId);
        throw new LicenseError('VALIDATION_FAILED', { detail: m.accountIdTaken(wanted.accountId, byId.name), data: { accountId: wanted.accountId } });
      }
      await store.insertAccount(db, { ...wanted, createdAt: now() });
      return strip((await store.findAccount(db, { name: wanted.name }))!);
    },

    async addSubscription(o) {
      const owner = await account(o.account);
      endOfDayUtc(o.ends); // a TypeError for anything but a real YYYY-MM-DD
      const row = {
        id: randomUUID(),
        accountPk: owner.pk,
        plan: word(o.plan, m.planInvalid).toLowerCase(),
        ends: o.ends,
        users: optionalLimit(o.users, 'users'),
        loc: optionalLimit(o.loc, 'loc'),
        edition: word(o.edition ?? 'enterprise', m.editionInvalid),
        createdAt: now(),
      };
      await store.insertSubscription(db, row);
      return strip((await store.findSubscription(db, row.id))!);
    },

    async getSubscription(id) {
      return strip(await subscription(id));
    },

    async issue(o) {
      const type = o.type ?? 'production';
      if (type !== 'production' && type !== 'staging') throw new LicenseError('VALIDATION_FAILED', { detail: m.typeInvalid(String(type)) });
      const serverId = normaliseServerId(o.serverId);
      const sub = await subscription(o.subscription);
      const at = now();
      checkContractRunning(sub, at);
      if (type === 'production') checkProductionInstance(sub, serverId);
      else checkStagingServerId(sub, serverId);
      const owner = (await store.findAccount(db, { name: sub.account }))!;
      const payload = buildPayload({
        serverId,
        licensee: owner.company,
        type,
        expires: sub.ends, // the production key's exp is the contract end (SPEC 11)
        sub: sub.id,
        edition: sub.edition,
        features: cleanList(o.features, m.featureInvalid),
        users: sub.users ?? undefined,
        loc: sub.loc ?? undefined,
        tags: cleanList(o.tags, m.tagInvalid),
        now: at,
      });
      const key = await signLicenseKey(payload, o.privateJwk);
      await db.transaction(async (trx) => {
        if (type === 'production') {
          const bound = await store.bindProduction(trx, sub.id, serverId);
          checkProductionInstance({ id: sub.id, productionServerId: bound }, serverId); // lost a race: refused, rolled back
        }
        await store.insertLicense(trx, {
          claims: payload, key, subscription: sub.id, accountPk: owner.pk, emergency: false, grace: graceDays(payload),
          issuedBy: text(o.issuedBy ?? 'vendor', 'issued-by'), issuedAt: at, ticket: null, emailTo: null, emailOutcome: null,
        });
      });
      return (await store.findLicense(db, payload.lid))!;
    },

    async emergency(o) {
      if (!Number.isSafeInteger(o.users) || o.users < 1) throw new LicenseError('VALIDATION_FAILED', { detail: m.usersRequired() });
      const to = email(o.email);
      const issuedBy = text(o.issuedBy, 'issued-by (who issues it)');
      const ticket = text(o.ticket, 'The ticket reference');
      const owner = await account(o.account);
      const at = now();
      const subs = await store.subscriptionsOf(db, owner.pk);
      const last = await store.lastRegularLicense(db, owner.pk);
      checkEmergencyEligible(
        { account: owner.name, plans: subs.map((s) => s.plan), lastLicense: last ? { lid: last.lid, exp: last.claims.exp, grace: last.grace } : null },
        at,
      );
      const payload = buildEmergencyPayload({
        users: o.users,
        sub: last!.subscription ?? owner.name,
        edition: last!.claims.edition,
        features: last!.claims.features,
        now: at,
      });
      const key = await signLicenseKey(payload, o.privateJwk);
      // NOTE: recorded before mailing: the key exists from now on, whatever the mail does.
      await store.insertLicense(db, {
        claims: payload, key, subscription: last!.subscription, accountPk: owner.pk, emergency: true, grace: 0,
        issuedBy, issuedAt: at, ticket, emailTo: to, emailOutcome: m.emailPending(to),
      });
      let outcome: string;
      let emailed = false;
      try {
        if (!options.mailer) throw new Error(m.noSmtp());
        await options.mailer.send(emergencyMail({ to, key, payload, ticket }));
        outcome = m.emailSent(to, o.users);
        emailed = true;
      } catch (err) {
        outcome = m.emailFailed(to, err instanceof Error ? err.message : String(err));
      }
      await store.setEmailOutcome(db, payload.lid, outcome);
      return { license: (await store.findLicense(db, payload.lid))!, emailed };
    },

    async list(o = {}) {
      return store.listLicenses(db, o.account === undefined ? undefined : (await account(o.account)).pk);
    },

    async close() {
      if (owned) await db.destroy();
    },
  };
}
