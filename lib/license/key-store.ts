import type { Knex } from 'knex';
import type { LicensePayload } from '../keys/claims.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { chooseKey } from './key-choices.js';
import { verifyRow, type RingKey } from './key-ring.js';

interface KeyRow {
  id: number | string;
  lid: unknown;
  key_text: unknown;
  set_by: unknown;
  set_at: unknown;
}

const LOOK_BACK = 50;

/**
 * Stored keys after `afterId` (and not in `except`), oldest first, each verified again (keys are
 * data: trust nothing stored). A row that cannot be read is kept as an `invalid` key, never an
 * error.
 */
export async function loadStoredKeys(knex: Knex, trusted: TrustedKeys, afterId = 0, except: ReadonlySet<number> = new Set()): Promise<RingKey[]> {
  // NOTE: ids are handed out before commit, so a row may appear after a higher one did (two
  // nodes inserting at once): look back a little, and read the text of unknown rows only.
  const lookBack = Math.max(0, afterId - LOOK_BACK);
  const ids = ((await knex('license_keys').where('id', '>', lookBack).select('id')) as Array<{ id: number | string }>)
    .map((r) => Number(r.id))
    .filter((id) => !except.has(id));
  if (ids.length === 0) return [];
  const rows: KeyRow[] = await knex('license_keys').whereIn('id', ids).orderBy('id', 'asc').select('id', 'lid', 'key_text', 'set_by', 'set_at');
  return Promise.all(
    rows.map(async (r) => {
      const setAt = new Date(Number(r.set_at));
      return {
        id: Number(r.id),
        lid: typeof r.lid === 'string' ? r.lid : `row-${r.id}`,
        compact: typeof r.key_text === 'string' ? r.key_text : '',
        ...(await verifyRow(r.key_text, trusted)),
        setBy: typeof r.set_by === 'string' ? r.set_by : 'unknown',
        setAt: Number.isFinite(setAt.getTime()) ? setAt : new Date(0),
        source: 'database' as const,
      };
    }),
  );
}

/**
 * Stores an accepted key, inside the caller's transaction. SPEC 15.3: the same key (same `lid`)
 * set again adds no row; it is made current again (lib/license/key-choices.ts), with its
 * history (who first set it and when).
 * NOTE: two nodes setting the same new key at the same instant may store it twice; the ring
 * treats both rows as the same key.
 */
export async function storeKey(trx: Knex.Transaction, compact: string, payload: LicensePayload, actor: string, now: Date): Promise<{ added: boolean }> {
  const existing = (await trx('license_keys').where({ lid: payload.lid }).orderBy('id', 'asc').first('id')) as { id: number | string } | undefined;
  if (existing) {
    const newest = (await trx('license_keys').max({ id: 'id' }).first()) as { id: number | string | null };
    await chooseKey(trx, payload.lid, Number(newest.id ?? 0));
    return { added: false };
  }
  await trx('license_keys').insert({
    lid: payload.lid,
    key_text: compact,
    server_id: payload.serverId,
    type: payload.type,
    set_by: actor.slice(0, 255),
    set_at: now.getTime(),
  });
  return { added: true };
}
