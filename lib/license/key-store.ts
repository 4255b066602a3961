import type { Knex } from 'knex';
import type { LicensePayload } from '../keys/claims.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { verifyRow, type RingKey } from './key-ring.js';

interface KeyRow {
  id: number;
  lid: string;
  key_text: string;
  set_by: string;
  set_at: number | string;
}

/** Stored keys after `afterId`, oldest first, each verified again (keys are data: trust nothing stored). */
export async function loadStoredKeys(knex: Knex, trusted: TrustedKeys, afterId = 0): Promise<RingKey[]> {
  const rows: KeyRow[] = await knex('license_keys').where('id', '>', afterId).orderBy('id', 'asc').select('id', 'lid', 'key_text', 'set_by', 'set_at');
  return Promise.all(
    rows.map(async (r) => ({
      id: Number(r.id),
      lid: r.lid,
      compact: r.key_text,
      ...(await verifyRow(r.key_text, trusted)),
      setBy: r.set_by,
      setAt: new Date(Number(r.set_at)),
      source: 'database' as const,
    })),
  );
}

/** Stores an accepted key; one insert, so a failed one changes nothing. */
export async function storeKey(knex: Knex, compact: string, payload: LicensePayload, actor: string, now: Date): Promise<void> {
  await knex('license_keys').insert({
    lid: payload.lid, key_text: compact, server_id: payload.serverId, type: payload.type,
    set_by: actor.slice(0, 255), set_at: now.getTime(),
  });
}
