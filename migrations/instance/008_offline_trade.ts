import type { Knex } from 'knex';

/**
 * The offline trade (SPEC 18) and users (SPEC 16): the secret the instance key is derived from
 * (kept with the dataset part, so a database copy brings it), users and the limits in force in
 * each daily snapshot, and the chain of usage reports this instance generated. The revocation
 * list in force is a setting (its number in `num`, raised by compare-and-set).
 */
export async function up(knex: Knex): Promise<void> {
  // NOTE: knex.schema is a new builder on each access; a reused builder replays its statements.
  const s = () => knex.schema;
  if (!(await s().hasColumn('license_identity', 'key_secret'))) {
    await s().alterTable('license_identity', (t) => {
      t.string('key_secret', 64).nullable();
    });
  }
  for (const [column, add] of [
    ['users', (t: Knex.AlterTableBuilder) => t.integer('users').nullable()],
    ['limit_loc', (t: Knex.AlterTableBuilder) => t.bigInteger('limit_loc').nullable()],
    ['limit_users', (t: Knex.AlterTableBuilder) => t.integer('limit_users').nullable()],
  ] as const) {
    if (!(await s().hasColumn('license_loc_snapshots', column))) await s().alterTable('license_loc_snapshots', add);
  }
  if (!(await s().hasTable('license_usage_reports'))) {
    await s().createTable('license_usage_reports', (t) => {
      t.integer('seq').primary(); // one number per report: two nodes cannot both take it
      t.string('hash', 64).notNullable();
      t.string('period_from', 7).notNullable();
      t.string('period_to', 7).notNullable();
      t.bigInteger('generated_at').notNullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('license_usage_reports');
  for (const column of ['users', 'limit_loc', 'limit_users']) {
    if (await knex.schema.hasColumn('license_loc_snapshots', column)) await knex.schema.alterTable('license_loc_snapshots', (t) => void t.dropColumn(column));
  }
  if (await knex.schema.hasColumn('license_identity', 'key_secret')) await knex.schema.alterTable('license_identity', (t) => void t.dropColumn('key_secret'));
}
