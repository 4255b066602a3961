import type { Knex } from 'knex';

/**
 * The vendor portal (SPEC 19): users, sessions (connect-session-knex's layout), the portal's
 * settings (CSRF secret), the webhook outbox, one event table that is both the timeline of a
 * subscription and the portal's audit log, license requests waiting for a sales approval, and
 * the columns the pages need (prospect flag, CRM IDs, hosted services, archive; revocations are 002's).
 * Each step checks before it alters, so a half-applied run can be run again.
 */
export async function up(knex: Knex): Promise<void> {
  const addColumns = async (table: string, columns: Record<string, (t: Knex.AlterTableBuilder) => void>) => {
    for (const [name, add] of Object.entries(columns)) {
      if (!(await knex.schema.hasColumn(table, name))) await knex.schema.alterTable(table, add);
    }
  };
  await addColumns('vendor_accounts', {
    prospect: (t) => t.boolean('prospect').notNullable().defaultTo(false),
  });
  await addColumns('vendor_subscriptions', {
    crm_subscription_id: (t) => t.string('crm_subscription_id', 64).nullable(),
    hosted_services: (t) => t.boolean('hosted_services').notNullable().defaultTo(false),
    archived_at: (t) => t.bigInteger('archived_at').nullable(),
    archive_reason: (t) => t.string('archive_reason', 500).nullable(),
  });
  await addColumns('vendor_licenses', {
    opportunity_id: (t) => t.string('opportunity_id', 64).nullable(),
  });
  if (!(await knex.schema.hasTable('vendor_users'))) {
    await knex.schema.createTable('vendor_users', (t) => {
      t.increments('id').primary();
      t.string('name', 64).notNullable().unique('vendor_users_name_uq');
      t.string('role', 16).notNullable();
      t.string('password_hash', 255).notNullable();
      t.integer('failed_logins').notNullable().defaultTo(0);
      t.bigInteger('locked_until').nullable();
      t.bigInteger('created_at').notNullable();
    });
  }
  if (!(await knex.schema.hasTable('vendor_sessions'))) {
    // NOTE: the layout connect-session-knex creates itself; made here so the migrator owns it.
    await knex.schema.createTable('vendor_sessions', (t) => {
      t.string('sid', 255).primary();
      t.text('sess').notNullable();
      t.timestamp('expired').notNullable().index('vendor_sessions_expired_idx');
    });
  }
  if (!(await knex.schema.hasTable('vendor_portal_settings'))) {
    await knex.schema.createTable('vendor_portal_settings', (t) => {
      t.string('name', 64).primary();
      t.string('value', 255).notNullable();
    });
  }
  if (!(await knex.schema.hasTable('vendor_outbox'))) {
    await knex.schema.createTable('vendor_outbox', (t) => {
      t.increments('id').primary();
      t.string('dedupe_key', 191).notNullable().unique('vendor_outbox_dedupe_uq');
      t.string('url', 2000).notNullable();
      t.text('body').notNullable();
      t.string('status', 16).notNullable(); // pending | sent
      t.integer('attempts').notNullable().defaultTo(0);
      t.string('last_error', 64).nullable();
      t.bigInteger('claimed_at').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('sent_at').nullable();
      t.index(['status'], 'vendor_outbox_status_idx');
    });
  }
  if (!(await knex.schema.hasTable('vendor_events'))) {
    await knex.schema.createTable('vendor_events', (t) => {
      t.increments('id').primary();
      t.bigInteger('at').notNullable();
      t.string('actor', 255).notNullable();
      t.string('action', 64).notNullable();
      t.string('account', 255).nullable();
      t.string('subscription', 64).nullable();
      t.text('detail').notNullable();
      t.index(['subscription', 'id'], 'vendor_events_subscription_idx');
    });
  }
  if (!(await knex.schema.hasTable('vendor_license_requests'))) {
    await knex.schema.createTable('vendor_license_requests', (t) => {
      t.string('id', 64).primary();
      t.string('subscription', 64).notNullable();
      t.text('request').notNullable();
      t.string('status', 16).notNullable(); // pending | issued | refused
      t.string('requested_by', 255).notNullable();
      t.bigInteger('requested_at').notNullable();
      t.string('decided_by', 255).nullable();
      t.bigInteger('decided_at').nullable();
      t.string('lid', 64).nullable();
      t.index(['status'], 'vendor_license_requests_status_idx');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['vendor_license_requests', 'vendor_events', 'vendor_outbox', 'vendor_portal_settings', 'vendor_sessions', 'vendor_users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
