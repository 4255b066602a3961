import { generateKeyPair, type VendorKeyPair } from '../../../../lib/keys/sign.js';
import { openVendorRegistry, type VendorRegistry } from '../../../lib/registry/index.js';
import type { Mailer } from '../../../lib/registry/mailer.js';
import type { TestDb } from '../../../../test/helpers/dbs.js';

/** A clock the test moves by hand. */
export function clockAt(iso: string): { now: () => Date; set: (iso: string | Date) => void } {
  let current = new Date(iso);
  return { now: () => new Date(current.getTime()), set: (t) => void (current = new Date(t)) };
}

export const MINUTE = 60_000;
export const DAY = 86_400_000;

// Server IDs as SPEC 4 writes them: a staging copy keeps the part after the dash.
export const PROD_ID = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
export const STAGING_ID = '9F8E7D6C-ABCDEFGHIJKLMNOPQRST';
export const OTHER_ID = '1A2B3C4D-QQQQQQQQQQQQQQQQQQQQ';

let pair: Promise<VendorKeyPair> | undefined;
/** One vendor key pair for the whole run (generating one per test adds nothing). */
export function vendorKeys(): Promise<VendorKeyPair> {
  pair ??= generateKeyPair();
  return pair;
}

export async function openRegistry(db: TestDb, now: () => Date, mailer?: Mailer): Promise<VendorRegistry> {
  return openVendorRegistry({ db: db.config, now, mailer });
}

/**
 * An account with a subscription and its production key issued on `issuedAt`: the usual starting
 * point of the emergency rules. The contract ends `ends`, so the grace period ends 14 days after.
 */
export async function customerWithLicense(
  registry: VendorRegistry,
  clock: { set: (t: string) => void },
  o: { plan?: string; ends?: string; issuedAt?: string; company?: string; accountId?: string } = {},
) {
  const account = await registry.addCustomer({ company: o.company ?? 'Acme Corp', accountId: o.accountId ?? 'A1001' });
  const sub = await registry.addSubscription({ account: account.name, plan: o.plan ?? 'enterprise', ends: o.ends ?? '2026-01-10', users: 50, loc: 100_000 });
  clock.set(o.issuedAt ?? '2025-12-01T09:00:00Z');
  const { privateJwk } = await vendorKeys();
  const license = await registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, issuedBy: 'alice' });
  return { account, sub, license };
}
