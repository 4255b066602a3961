import type { Knex } from 'knex';

/**
 * SPEC 21, mail after a crash: each notification keeps the Message-ID it is (or was) sent with,
 * stored before the first send, so a node that takes over from one that died mid-send sends the
 * very same message and mail clients show it once. Only adds a nullable column (SPEC 24).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('license_notifications', 'message_id')) return;
  await knex.schema.alterTable('license_notifications', (t) => {
    t.string('message_id', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('license_notifications', 'message_id'))) return;
  await knex.schema.alterTable('license_notifications', (t) => {
    t.dropColumn('message_id');
  });
}
