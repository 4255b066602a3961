import type { Knex } from 'knex';

/**
 * The audit log (SPEC 17.3): one hash-chained row per action, and one chain-head row that every
 * writer locks, so nodes appending at once keep a single chain. Entry IDs come from the head
 * (not an auto-increment), so the ID is part of what each hash covers.
 */
export async function up(knex: Knex): Promise<void> {
  const s = () => knex.schema;
  if (!(await s().hasTable('license_audit'))) {
    await s().createTable('license_audit', (t) => {
      t.bigInteger('id').primary();
      t.bigInteger('at').notNullable();
      t.string('actor', 255).notNullable();
      t.string('action', 64).notNullable();
      t.text('detail').notNullable();
      t.string('prev_hash', 64).notNullable();
      t.string('hash', 64).notNullable();
    });
  }
  if (!(await s().hasTable('license_audit_head'))) {
    await s().createTable('license_audit_head', (t) => {
      t.integer('id').primary(); // always 1: one chain per database
      t.bigInteger('last_id').notNullable();
      t.string('hash', 64).notNullable();
    });
  }
  // NOTE: the row exists from the start, so appending is always lock-then-update, never an
  // INSERT race between nodes.
  await knex('license_audit_head')
    .insert({ id: 1, last_id: 0, hash: '0'.repeat(64) })
    .onConflict('id')
    .ignore();
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('license_audit_head');
  await knex.schema.dropTableIfExists('license_audit');
}
