import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { deriveInstanceKey, type InstanceKey } from './derive.js';

/**
 * The instance key of this database: the secret is made once, beside the dataset part, by a
 * compare-and-set (nodes starting at once keep the first one written), then the key is derived.
 * Call after the server ID is settled.
 */
export async function loadInstanceKey(knex: Knex, serverId: string): Promise<InstanceKey> {
  await knex('license_identity')
    .where({ id: 1 })
    .whereNull('key_secret')
    .update({ key_secret: randomBytes(32).toString('hex') });
  const row = await knex('license_identity').where({ id: 1 }).first('key_secret');
  if (!row?.key_secret) throw new Error('The instance key secret could not be stored: the server identity row is missing.');
  return deriveInstanceKey(row.key_secret as string, serverId);
}
