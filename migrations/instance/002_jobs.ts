import type { Knex } from 'knex';

/**
 * The background job and its notifications (SPEC 7): the outbox of notifications (one row per
 * event, UNIQUE de-duplication key), the messages delivered for each (so a retry after an SMTP
 * outage skips who already got it), the job runs, the lease row that keeps the job on one node
 * of a cluster, one LOC snapshot per UTC day, and the job's own small state (LOC threshold arming).
 */
export async function up(knex: Knex): Promise<void> {
  // NOTE: knex.schema is a new builder on each access; reusing one builder would replay its
  // earlier statements on every await.
  const s = () => knex.schema;
  if (!(await s().hasTable('license_notifications'))) {
    await s().createTable('license_notifications', (t) => {
      t.increments('id').primary();
      t.string('dedup_key', 255).notNullable().unique('license_notifications_dedup_key_uq');
      t.string('kind', 32).notNullable();
      t.string('lid', 64).nullable();
      // pending -> sending (claimed by claim_token) -> sent; a failed send goes back to pending
      t.string('status', 16).notNullable();
      t.string('claim_token', 64).nullable();
      t.bigInteger('claimed_at').nullable();
      t.text('data').notNullable();
      t.integer('recipients').notNullable().defaultTo(0);
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('last_error').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('sent_at').nullable();
      t.index(['status'], 'license_notifications_status_idx');
      t.index(['lid'], 'license_notifications_lid_idx');
    });
  }
  if (!(await s().hasTable('license_notification_deliveries'))) {
    await s().createTable('license_notification_deliveries', (t) => {
      t.integer('notification_id').notNullable();
      t.string('email', 320).notNullable();
      t.bigInteger('sent_at').notNullable();
      // set when the server refused this address for good (5xx): not retried, not delivered
      t.text('error').nullable();
      t.primary(['notification_id', 'email']);
    });
  }
  if (!(await s().hasTable('license_job_runs'))) {
    await s().createTable('license_job_runs', (t) => {
      t.increments('id').primary();
      t.string('node', 64).notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('finished_at').notNullable();
      t.integer('duration_ms').notNullable();
      t.integer('ran').notNullable(); // 0/1: the same on every dialect
      t.integer('sent').notNullable();
      t.integer('failed').notNullable();
      t.integer('pending').notNullable();
      t.string('outcome', 16).notNullable();
      t.text('error').nullable();
      t.index(['started_at'], 'license_job_runs_started_idx');
    });
  }
  if (!(await s().hasTable('license_job_lease'))) {
    await s().createTable('license_job_lease', (t) => {
      t.string('name', 64).primary();
      t.string('holder', 64).nullable();
      t.bigInteger('expires_at').notNullable();
    });
  }
  // NOTE: the row exists from the start, so taking the lease is always an UPDATE (compare-and-set)
  // and never an INSERT race between nodes.
  const lease = await knex('license_job_lease').where({ name: 'daily' }).first();
  if (!lease) await knex('license_job_lease').insert({ name: 'daily', holder: null, expires_at: 0 });
  if (!(await s().hasTable('license_loc_snapshots'))) {
    await s().createTable('license_loc_snapshots', (t) => {
      t.string('day', 10).primary(); // YYYY-MM-DD, UTC
      t.bigInteger('used').notNullable();
      t.bigInteger('taken_at').notNullable();
    });
  }
  if (!(await s().hasTable('license_job_state'))) {
    await s().createTable('license_job_state', (t) => {
      t.string('name', 128).primary();
      t.text('value').notNullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'license_job_state',
    'license_loc_snapshots',
    'license_job_lease',
    'license_job_runs',
    'license_notification_deliveries',
    'license_notifications',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
