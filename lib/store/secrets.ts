import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * A random secret shared by every node of a cluster, made once: each node proposes 32 random
 * bytes with an insert that does nothing when the name exists (compare-and-set), then reads back
 * the one that won. So nodes starting at once agree, and a restart keeps it. `table` has the
 * columns `name` (unique) and `value`: `license_secrets` for the instance, `vendor_portal_settings`
 * for the vendor portal.
 */
export async function sharedSecret(knex: Knex, name: string, table = 'license_secrets'): Promise<Buffer> {
  const T = table;
  await knex(T)
    .insert({ name, value: randomBytes(32).toString('base64url') })
    .onConflict('name')
    .ignore();
  const row = await knex(T).where({ name }).first('value');
  if (!row) throw new Error(`The shared secret "${name}" could not be read back after it was stored.`);
  return Buffer.from(row.value as string, 'base64url');
}
