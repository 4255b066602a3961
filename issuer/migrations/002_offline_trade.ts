import type { Knex } from 'knex';

/**
 * The offline trade (SPEC 18): revocations and the signed lists made of them, the instance key
 * pinned to each subscription on its first usage report, the reports imported, and the monthly
 * peaks they carry.
 */
export async function up(knex: Knex): Promise<void> {
  // NOTE: knex.schema is a new builder on each access; a reused builder replays its statements.
  const s = () => knex.schema;
  if (!(await s().hasTable('vendor_revocations'))) {
    await s().createTable('vendor_revocations', (t) => {
      t.string('lid', 64).primary();
      t.text('reason').notNullable();
      t.string('issued_by', 255).notNullable();
      t.bigInteger('at').notNullable();
    });
  }
  if (!(await s().hasTable('vendor_revocation_lists'))) {
    await s().createTable('vendor_revocation_lists', (t) => {
      // NOTE: the list number is the primary key: two lists made at once cannot share one.
      t.integer('number').primary();
      t.bigInteger('issued_at').notNullable();
      t.integer('revoked').notNullable();
      t.string('kid', 64).notNullable();
    });
  }
  if (!(await s().hasTable('vendor_instance_keys'))) {
    await s().createTable('vendor_instance_keys', (t) => {
      t.string('subscription', 64).primary().references('id').inTable('vendor_subscriptions');
      t.string('server_id', 40).notNullable();
      t.string('kid', 64).notNullable();
      t.text('jwk').notNullable();
      t.bigInteger('pinned_at').notNullable();
    });
  }
  if (!(await s().hasTable('vendor_usage_reports'))) {
    await s().createTable('vendor_usage_reports', (t) => {
      t.increments('id').primary();
      t.string('subscription', 64).notNullable().references('id').inTable('vendor_subscriptions');
      t.string('hash', 64).notNullable().unique('vendor_usage_reports_hash_uq');
      t.integer('seq').notNullable();
      t.string('prev', 64).nullable();
      t.string('server_id', 40).notNullable();
      t.string('period_from', 7).notNullable();
      t.string('period_to', 7).notNullable();
      t.bigInteger('generated_at').notNullable();
      t.bigInteger('imported_at').notNullable();
      t.text('warnings').notNullable();
      t.text('payload').notNullable();
      t.index(['subscription', 'seq'], 'vendor_usage_reports_sub_seq_idx');
    });
  }
  if (!(await s().hasTable('vendor_usage_months'))) {
    await s().createTable('vendor_usage_months', (t) => {
      t.string('subscription', 64).notNullable().references('id').inTable('vendor_subscriptions');
      t.string('month', 7).notNullable();
      t.bigInteger('peak_loc').notNullable();
      t.integer('peak_users').notNullable();
      t.bigInteger('limit_loc').nullable();
      t.integer('limit_users').nullable();
      t.integer('report_seq').notNullable();
      t.primary(['subscription', 'month']);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['vendor_usage_months', 'vendor_usage_reports', 'vendor_instance_keys', 'vendor_revocation_lists', 'vendor_revocations']) {
    await knex.schema.dropTableIfExists(table);
  }
}
