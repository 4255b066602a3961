import type { Knex } from 'knex';
import { dialectOf } from '../../lib/store/dialects/index.js';

/** Server identity, key ring, events, settings and LOC. */
export async function up(knex: Knex): Promise<void> {
  const collation = await dialectOf(knex).exactCollation(knex);
  const exact = (column: Knex.ColumnBuilder) => (collation ? column.collate(collation) : column);
  // NOTE: knex.schema is a new builder on each access; one reused builder replays its statements.
  const s = () => knex.schema;
  if (!(await s().hasTable('license_identity'))) {
    await s().createTable('license_identity', (t) => {
      t.integer('id').primary(); // always 1: one identity per database
      t.string('server_id', 40).notNullable();
      t.string('dataset', 32).notNullable();
      t.string('checksum', 64).notNullable();
      t.text('identity').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  }
  if (!(await s().hasTable('license_keys'))) {
    await s().createTable('license_keys', (t) => {
      t.increments('id').primary();
      t.string('lid', 64).notNullable();
      t.text('key_text').notNullable();
      t.string('server_id', 40).notNullable();
      t.string('type', 16).notNullable();
      t.string('set_by', 255).notNullable();
      t.bigInteger('set_at').notNullable();
      t.index(['server_id'], 'license_keys_server_id_idx');
    });
  }
  if (!(await s().hasTable('license_events'))) {
    await s().createTable('license_events', (t) => {
      t.increments('id').primary();
      t.string('kind', 64).notNullable();
      t.bigInteger('at').notNullable();
      t.text('data').notNullable();
      t.index(['kind', 'at'], 'license_events_kind_idx');
    });
  }
  if (!(await s().hasTable('license_settings'))) {
    await s().createTable('license_settings', (t) => {
      t.string('name', 128).primary();
      t.text('value').notNullable();
      t.bigInteger('num').nullable(); // numeric copy for compare-and-raise (the clock high-water mark)
    });
  }
  if (!(await s().hasTable('license_loc_branches'))) {
    await s().createTable('license_loc_branches', (t) => {
      exact(t.string('project', 255).notNullable());
      exact(t.string('branch', 255).notNullable());
      t.bigInteger('loc').notNullable();
      t.bigInteger('analyzed_at').notNullable();
      t.primary(['project', 'branch']);
      t.index(['project', 'loc'], 'license_loc_branches_project_loc_idx');
    });
  }
  if (!(await s().hasTable('license_loc_projects'))) {
    // NOTE: each project's largest branch, kept up to date as analyses arrive, so consumption is
    // one SUM over an index of one row per project instead of a GROUP BY over every branch.
    await s().createTable('license_loc_projects', (t) => {
      exact(t.string('project', 255).primary());
      exact(t.string('branch', 255).notNullable());
      t.bigInteger('loc').notNullable();
      t.bigInteger('analyzed_at').notNullable();
      t.index(['loc'], 'license_loc_projects_loc_idx');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['license_loc_projects', 'license_loc_branches', 'license_settings', 'license_events', 'license_keys', 'license_identity']) {
    await knex.schema.dropTableIfExists(table);
  }
}
