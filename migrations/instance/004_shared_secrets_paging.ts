import type { Knex } from 'knex';
import { dialectOf } from '../../lib/store/dialects/index.js';

/**
 * SPEC 15.4 and 15.5: secrets every node of a cluster shares (the CSRF secret), and an index in
 * the order the page and `api/loc-usage` list projects (largest first, then by name), so a page
 * of 50 is an index range scan however many projects there are.
 */
export async function up(knex: Knex): Promise<void> {
  const s = () => knex.schema;
  if (!(await s().hasTable('license_secrets'))) {
    await s().createTable('license_secrets', (t) => {
      t.string('name', 64).primary();
      t.string('value', 255).notNullable();
    });
  }
  // NOTE: knex's index builder has no column order; this statement reads the same on all three.
  if (!(await dialectOf(knex).hasIndex(knex, 'license_loc_projects', 'license_loc_projects_rank_idx'))) {
    await knex.raw('create index license_loc_projects_rank_idx on license_loc_projects (loc desc, project asc)');
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('license_loc_projects', (t) => t.dropIndex([], 'license_loc_projects_rank_idx'));
  await knex.schema.dropTableIfExists('license_secrets');
}
