import type { Knex } from 'knex';

/**
 * Webhooks (SPEC 17.2) go through the notification outbox: a row per notification and target,
 * whose `target` names the webhook (a hash of its URL; the URL itself is never stored). Mail
 * rows keep `target` null.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('license_notifications', 'target'))) {
    await knex.schema.alterTable('license_notifications', (t) => {
      t.string('target', 32).nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('license_notifications', 'target')) {
    await knex.schema.alterTable('license_notifications', (t) => {
      t.dropColumn('target');
    });
  }
}
