import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import type { Dialect } from '../store/dialects/index.js';
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

export async function readRevocations(knex: Knex): Promise<StoredRevocations | undefined> {
  return readSetting<StoredRevocations>(knex, SETTING);
}

/** Revoked license IDs with the day each was revoked (Unix seconds). Pure. */
export function revokedIndex(stored: StoredRevocations | undefined): ReadonlyMap<string, number> {
  return new Map((stored?.revoked ?? []).map((r) => [r.lid, r.at]));
}

/**
 * Puts a verified list in force if its number is above the stored one: a compare-and-set on the
 * number, so two nodes installing lists at once keep the newer, and a list played back is
 * REVOCATIONS_STALE. Resolves to the list now in force.
 */
export async function storeRevocations(knex: Knex, dialect: Dialect, list: VerifiedRevocationList, actor: string, at: Date): Promise<StoredRevocations> {
  const { number } = list.payload;
  const stored: StoredRevocations = {
    number, issuedAt: list.payload.issuedAt, revoked: list.payload.revoked, kid: list.kid, list: list.compact,
    setBy: actor.slice(0, 255), setAt: at.getTime(),
  };
  const value = JSON.stringify(stored);
  for (let attempt = 0; attempt < 3; attempt++) {
    const updated = await knex('license_settings').where({ name: SETTING }).andWhere('num', '<', number).update({ value, num: number });
    if (updated > 0) return stored;
    const current = await readRevocations(knex);
    if (current) throw new LicenseError('REVOCATIONS_STALE', { detail: m.stale(number, current.number), data: { number, stored: current.number } });
    try {
      await knex('license_settings').insert({ name: SETTING, value, num: number });
      return stored;
    } catch (err) {
      if (!dialect.isUniqueViolation(err)) throw err; // another node stored a list first: compare again
    }
  }
  throw new LicenseError('REVOCATIONS_STALE', { detail: m.stale(number, (await readRevocations(knex))?.number ?? number) });
}

/** The summary the page shows (no list text). Pure. */
export function revocationsInForce(stored: StoredRevocations | undefined) {
  return stored
    ? { number: stored.number, issuedAt: new Date(stored.issuedAt * 1000).toISOString(), revoked: stored.revoked.length, setBy: stored.setBy, setAt: new Date(stored.setAt).toISOString() }
    : null;
}
