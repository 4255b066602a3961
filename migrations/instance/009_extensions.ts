import type { Knex } from 'knex';

/**
 * Self-service extensions (SPEC 22): one row per use of a key's `ext` claim on one server. The
 * unique (lid, server_id, use) is what makes two nodes using at once agree on one use. Only adds
 * a table (SPEC 24: additive within a minor version).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('license_extensions')) return;
  await knex.schema.createTable('license_extensions', (t) => {
    t.increments('id').primary();
    t.string('lid', 64).notNullable();
    t.string('server_id', 40).notNullable();
    t.integer('use_number').notNullable();
    t.integer('days').notNullable();
    t.bigInteger('used_at').notNullable();
    t.string('actor', 200).notNullable();
    t.bigInteger('grace_end_before').notNullable();
    t.bigInteger('grace_end_after').notNullable();
    t.unique(['lid', 'server_id', 'use_number'], { indexName: 'license_extensions_use_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('license_extensions');
}
