import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * A random secret kept in the registry database, created once by whichever portal node comes
 * first (insert, and on a conflict read the winner's): every node signs cookies and CSRF tokens
 * with the same secret, and a restart keeps it.
 */
export async function sharedSecret(db: Knex, name: string): Promise<Buffer> {
  const read = async () => (await db<{ name: string; value: string }>('vendor_portal_settings').where({ name }).first())?.value;
  let value = await read();
  if (!value) {
    try {
      await db('vendor_portal_settings').insert({ name, value: randomBytes(32).toString('base64url') });
    } catch {
      // another node inserted it first
    }
    value = await read();
  }
  if (!value) throw new Error(`The portal secret ${name} could not be stored.`);
  return Buffer.from(value, 'base64url');
}
