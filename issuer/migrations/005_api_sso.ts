import type { Knex } from 'knex';

/**
 * The vendor at scale (SPEC 23): API tokens (stored as SHA-256 of a 256-bit random secret, a role
 * each, revocable, last use) and the single sign-on map from an identity provider's group to a
 * portal role. Users who signed in through the provider are marked so their row is kept in step
 * with their groups. Each step checks before it alters, so a half-applied run can be run again.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('vendor_api_tokens'))) {
    await knex.schema.createTable('vendor_api_tokens', (t) => {
      t.increments('id').primary();
      t.string('name', 64).notNullable().unique('vendor_api_tokens_name_uq');
      t.string('role', 16).notNullable();
      t.string('token_hash', 64).notNullable().unique('vendor_api_tokens_hash_uq');
      t.string('hint', 16).notNullable(); // the first characters, so an admin can tell tokens apart
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('last_used_at').nullable();
      t.bigInteger('revoked_at').nullable();
      t.string('revoked_by', 255).nullable();
    });
  }
  if (!(await knex.schema.hasTable('vendor_sso_groups'))) {
    await knex.schema.createTable('vendor_sso_groups', (t) => {
      t.string('group_name', 191).primary();
      t.string('role', 16).notNullable();
      t.string('set_by', 255).notNullable();
      t.bigInteger('set_at').notNullable();
    });
  }
  if (!(await knex.schema.hasColumn('vendor_users', 'sso_subject'))) {
    await knex.schema.alterTable('vendor_users', (t) => {
      t.string('sso_subject', 255).nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('vendor_users', 'sso_subject')) await knex.schema.alterTable('vendor_users', (t) => t.dropColumn('sso_subject'));
  for (const table of ['vendor_sso_groups', 'vendor_api_tokens']) await knex.schema.dropTableIfExists(table);
}
