import type { Knex } from 'knex';
import { dialectOf } from '../../lib/store/dialects/index.js';

/**
 * SPEC 15.3: a key set again is found by its `lid`.
 * NOTE: not a unique index: databases of earlier versions may hold the same key twice.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await dialectOf(knex).hasIndex(knex, 'license_keys', 'license_keys_lid_idx'))) {
    await knex.schema.alterTable('license_keys', (t) => t.index(['lid'], 'license_keys_lid_idx'));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('license_keys', (t) => t.dropIndex(['lid'], 'license_keys_lid_idx'));
}
