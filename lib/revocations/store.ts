import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import { readSetting } from '../store/settings.js';
import { revocationMessages as m, type VerifiedRevocationList } from './verify.js';

/** The revocation list in force on this instance, as stored (shared by the cluster). */
export interface StoredRevocations {
  number: number;
  /** Unix seconds, as signed */
  issuedAt: number;
  revoked: readonly { lid: string; at: number }[];
  kid: string;
  setBy: string;
  setAt: number;
}

/**
 * What the settings row holds; the entries are rows of `license_revoked` (SPEC 21: up to 100,000).
 * A row written before (0.1.0) also holds them inline, and the list's text: both are ignored.
 */
type StoredHead = Omit<StoredRevocations, 'revoked'> & { count?: number; revoked?: unknown; list?: unknown };

const SETTING = 'revocations';
const TABLE = 'license_revoked';
// NOTE: knex writes a multi-row insert on SQLite as a compound SELECT, at most 500 terms
const BATCH = 500;

const readHead = (knex: Knex | Knex.Transaction): Promise<StoredHead | undefined> => readSetting<StoredHead>(knex, SETTING);

/**
 * The entries of the list in force are read again only when another list was installed: each
 * refresh reads the settings row, and a list of 100,000 keys is not read, parsed and indexed
 * every `refreshSeconds` by every node.
 */
const cache = new WeakMap<object, { tag: string; stored: StoredRevocations }>();
const tagOf = (head: StoredHead): string => `${head.number}|${head.setAt}|${head.kid}|${head.count}`;

export async function readRevocations(knex: Knex | Knex.Transaction): Promise<StoredRevocations | undefined> {
  const head = await readHead(knex);
  if (!head) return undefined;
  const cached = cache.get(knex);
  if (cached?.tag === tagOf(head)) return cached.stored;
  const rows = (await knex(TABLE).select('lid', 'at')) as Array<{ lid: string; at: number | string }>;
  const stored: StoredRevocations = {
    number: head.number,
    issuedAt: head.issuedAt,
    kid: head.kid,
    setBy: head.setBy,
    setAt: head.setAt,
    revoked: rows.map((r) => ({ lid: r.lid, at: Number(r.at) })),
  };
  cache.set(knex, { tag: tagOf(head), stored });
  return stored;
}

const indexes = new WeakMap<StoredRevocations, ReadonlyMap<string, number>>();

/** Revoked license IDs with the day each was revoked (Unix seconds). Pure; built once per list read. */
export function revokedIndex(stored: StoredRevocations | undefined): ReadonlyMap<string, number> {
  if (!stored) return new Map();
  let index = indexes.get(stored);
  if (!index) {
    index = new Map(stored.revoked.map((r) => [r.lid, r.at]));
    indexes.set(stored, index);
  }
  return index;
}

/** When the vendor revoked this license (Unix seconds), read by its key: one indexed row. */
export async function revokedAt(knex: Knex | Knex.Transaction, lid: string): Promise<number | undefined> {
  const row = (await knex(TABLE).where({ lid }).first('at')) as { at: number | string } | undefined;
  return row ? Number(row.at) : undefined;
}

/**
 * Puts a verified list in force if its number is above the stored one, else REVOCATIONS_STALE.
 * Run it in a transaction that serialises the writers (the audited transaction locks the audit
 * chain's head), so two nodes installing lists at once keep the newer one. Only what changed
 * against the list in force is written: the vendor's next list is mostly the last one again.
 */
export async function storeRevocations(trx: Knex.Transaction, list: VerifiedRevocationList, actor: string, at: Date): Promise<StoredRevocations> {
  const { number } = list.payload;
  const current = await readHead(trx);
  if (current && current.number >= number) {
    throw new LicenseError('REVOCATIONS_STALE', { detail: m.stale(number, current.number), data: { number, stored: current.number } });
  }
  const wanted = new Map(list.payload.revoked.map((r) => [r.lid, r.at]));
  const existing = (await trx(TABLE).select('lid', 'at')) as Array<{ lid: string; at: number | string }>;
  const gone = existing.filter((r) => wanted.get(r.lid) !== Number(r.at)).map((r) => r.lid);
  const kept = new Set(existing.filter((r) => wanted.get(r.lid) === Number(r.at)).map((r) => r.lid));
  const added = [...wanted].filter(([lid]) => !kept.has(lid)).map(([lid, revoked]) => ({ lid, at: revoked }));
  for (let i = 0; i < gone.length; i += BATCH)
    await trx(TABLE)
      .whereIn('lid', gone.slice(i, i + BATCH))
      .delete();
  for (let i = 0; i < added.length; i += BATCH) await trx(TABLE).insert(added.slice(i, i + BATCH));
  const head = { number, issuedAt: list.payload.issuedAt, kid: list.kid, setBy: actor.slice(0, 255), setAt: at.getTime() };
  await trx('license_settings')
    .insert({ name: SETTING, value: JSON.stringify({ ...head, count: wanted.size }), num: number })
    .onConflict('name')
    .merge();
  return { ...head, revoked: [...wanted].map(([lid, revoked]) => ({ lid, at: revoked })) };
}

/** The summary the page shows (no list text). Pure. */
export function revocationsInForce(stored: StoredRevocations | undefined) {
  return stored
    ? {
        number: stored.number,
        issuedAt: new Date(stored.issuedAt * 1000).toISOString(),
        revoked: stored.revoked.length,
        setBy: stored.setBy,
        setAt: new Date(stored.setAt).toISOString(),
      }
    : null;
}
