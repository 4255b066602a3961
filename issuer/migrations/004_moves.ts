import type { Knex } from 'knex';

/**
 * Moves without a ticket (SPEC 22): each imported move request, what became of it (issued at once
 * within the subscription's move budget, or waiting for an engineer), and the budget itself, a
 * nullable column (null: the default, 2 a year). Only adds: a node of the previous version ignores both.
 */
export async function up(knex: Knex): Promise<void> {
  const s = () => knex.schema;
  if (!(await s().hasTable('vendor_moves'))) {
    await s().createTable('vendor_moves', (t) => {
      t.string('id', 64).primary();
      t.string('subscription', 64).notNullable().references('id').inTable('vendor_subscriptions');
      // NOTE: the same request imported twice is one move (hash of its compact text)
      t.string('hash', 64).notNullable().unique('vendor_moves_hash_uq');
      t.text('request').notNullable();
      t.string('old_server_id', 40).notNullable();
      t.string('new_server_id', 40).notNullable();
      t.string('old_kid', 64).notNullable();
      t.string('new_kid', 64).notNullable();
      t.text('new_jwk').notNullable();
      t.string('lid_in_force', 64).nullable();
      t.text('reason').notNullable();
      t.bigInteger('moved_at').notNullable();
      t.bigInteger('requested_at').notNullable();
      t.bigInteger('imported_at').notNullable();
      t.string('imported_by', 255).notNullable();
      t.string('status', 16).notNullable(); // issued | waiting
      t.text('why_waiting').nullable();
      t.string('decided_by', 255).nullable();
      t.bigInteger('decided_at').nullable();
      t.string('lid', 64).nullable();
      t.index(['subscription', 'imported_at'], 'vendor_moves_sub_idx');
      t.index(['status', 'imported_at'], 'vendor_moves_status_idx');
    });
  }
  if (!(await s().hasColumn('vendor_subscriptions', 'move_budget'))) {
    await s().alterTable('vendor_subscriptions', (t) => {
      t.integer('move_budget').nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('vendor_moves');
  if (await knex.schema.hasColumn('vendor_subscriptions', 'move_budget')) {
    await knex.schema.alterTable('vendor_subscriptions', (t) => t.dropColumn('move_budget'));
  }
}
