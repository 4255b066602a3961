import type { Knex } from 'knex';

/** Customer accounts, subscriptions and every issued license of the vendor registry (SPEC 11). */
export async function up(knex: Knex): Promise<void> {
  // NOTE: `knex.schema` is a getter that makes a new builder; one builder kept in a variable
  // accumulates every statement and re-runs the earlier ones, so each call takes a fresh one.
  if (!(await knex.schema.hasTable('vendor_accounts'))) {
    await knex.schema.createTable('vendor_accounts', (t) => {
      t.increments('id').primary();
      t.string('name', 255).notNullable().unique('vendor_accounts_name_uq'); // Company_Name-UniqueAccountID
      t.string('company', 255).notNullable();
      t.string('account_id', 64).notNullable().unique('vendor_accounts_account_id_uq');
      t.bigInteger('created_at').notNullable();
    });
  }
  if (!(await knex.schema.hasTable('vendor_subscriptions'))) {
    await knex.schema.createTable('vendor_subscriptions', (t) => {
      t.string('id', 64).primary();
      t.integer('account').unsigned().notNullable().references('id').inTable('vendor_accounts');
      t.string('plan', 64).notNullable();
      t.string('ends', 10).notNullable(); // YYYY-MM-DD, the last day of the contract
      t.integer('users').nullable();
      t.bigInteger('loc').nullable();
      t.string('edition', 64).notNullable();
      // NOTE: the one production instance of the subscription, set once by a compare-and-set so
      // that two vendors issuing at the same moment cannot bind two server IDs.
      t.string('production_server_id', 40).nullable();
      t.bigInteger('created_at').notNullable();
      t.index(['account'], 'vendor_subscriptions_account_idx');
    });
  }
  if (!(await knex.schema.hasTable('vendor_licenses'))) {
    await knex.schema.createTable('vendor_licenses', (t) => {
      t.increments('id').primary();
      t.string('lid', 64).notNullable().unique('vendor_licenses_lid_uq');
      t.string('subscription', 64).nullable().references('id').inTable('vendor_subscriptions');
      t.integer('account').unsigned().notNullable().references('id').inTable('vendor_accounts');
      t.string('type', 16).notNullable();
      t.boolean('emergency').notNullable().defaultTo(false);
      t.string('server_id', 40).notNullable();
      t.text('claims').notNullable();
      t.text('key_text').notNullable();
      t.bigInteger('exp').notNullable();
      t.integer('grace').notNullable();
      t.string('issued_by', 255).notNullable();
      t.bigInteger('issued_at').notNullable();
      t.string('ticket', 255).nullable();
      t.string('email_to', 320).nullable();
      t.text('email_outcome').nullable();
      t.index(['account', 'issued_at'], 'vendor_licenses_account_idx');
      t.index(['subscription'], 'vendor_licenses_subscription_idx');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['vendor_licenses', 'vendor_subscriptions', 'vendor_accounts']) {
    await knex.schema.dropTableIfExists(table);
  }
}
