import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import { readSetting } from '../store/settings.js';
import { revocationMessages as m, type VerifiedRevocationList } from './verify.js';

/** The revocation list in force on this instance, as stored (shared by the cluster). */
export interface StoredRevocations {
  number: number;
  /** Unix seconds, as signed */
  issuedAt: number;
  revoked: { lid: string; at: number }[];
  kid: string;
  list: string;
  setBy: string;
  setAt: number;
}

const SETTING = 'revocations';

export async function readRevocations(knex: Knex | Knex.Transaction): Promise<StoredRevocations | undefined> {
  return readSetting<StoredRevocations>(knex, SETTING);
}

/** Revoked license IDs with the day each was revoked (Unix seconds). Pure. */
export function revokedIndex(stored: StoredRevocations | undefined): ReadonlyMap<string, number> {
  return new Map((stored?.revoked ?? []).map((r) => [r.lid, r.at]));
}

/**
 * Puts a verified list in force if its number is above the stored one, else REVOCATIONS_STALE.
 * Run it in a transaction that serialises the writers (the audited transaction locks the audit
 * chain's head), so two nodes installing lists at once keep the newer one.
 */
export async function storeRevocations(trx: Knex.Transaction, list: VerifiedRevocationList, actor: string, at: Date): Promise<StoredRevocations> {
  const { number } = list.payload;
  const current = await readRevocations(trx);
  if (current && current.number >= number) {
    throw new LicenseError('REVOCATIONS_STALE', { detail: m.stale(number, current.number), data: { number, stored: current.number } });
  }
  const stored: StoredRevocations = {
    number, issuedAt: list.payload.issuedAt, revoked: list.payload.revoked, kid: list.kid, list: list.compact,
    setBy: actor.slice(0, 255), setAt: at.getTime(),
  };
  await trx('license_settings').insert({ name: SETTING, value: JSON.stringify(stored), num: number }).onConflict('name').merge();
  return stored;
}

/** The summary the page shows (no list text). Pure. */
export function revocationsInForce(stored: StoredRevocations | undefined) {
  return stored
    ? { number: stored.number, issuedAt: new Date(stored.issuedAt * 1000).toISOString(), revoked: stored.revoked.length, setBy: stored.setBy, setAt: new Date(stored.setAt).toISOString() }
    : null;
}
