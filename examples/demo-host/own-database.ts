import knexFactory, { type Knex } from 'knex';
import { UsageError } from '../../lib/cli/io.js';
import { redactUrl } from '../../lib/redact.js';

/** The table by which the demo knows a database is its own: made by the demo, in an empty database, before anything else. */
export const DEMO_MARKER_TABLE = 'demo_host_owned';

async function tablesOf(knex: Knex): Promise<string[]> {
  const client = String(knex.client.config.client);
  if (client.includes('sqlite')) {
    const rows = (await knex.raw("select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite\\_%' escape '\\'")) as {
      name: string;
    }[];
    return rows.map((r) => r.name);
  }
  if (client === 'pg') {
    const { rows } = (await knex.raw('select table_name as name from information_schema.tables where table_schema = current_schema()')) as {
      rows: { name: string }[];
    };
    return rows.map((r) => r.name);
  }
  const [rows] = (await knex.raw('select table_name as name from information_schema.tables where table_schema = database()')) as [{ name: string }[]];
  return rows.map((r) => r.name);
}

/**
 * The demo seeds lines of code, 90 days of history and a demo license: it never does so in a
 * database that is not its own. A database is the demo's when it holds the demo's marker table;
 * an empty one becomes the demo's (the marker is made first); any other (a product's, a license
 * manager's the demo did not make, anything with a table in it) is refused with a sentence, and
 * nothing is written to it.
 */
export async function claimDemoDatabase(config: Knex.Config, url: string): Promise<void> {
  const knex = knexFactory({ ...config, pool: { min: 0, max: 1 } });
  try {
    const tables = await tablesOf(knex);
    if (tables.includes(DEMO_MARKER_TABLE)) return;
    if (tables.length > 0) {
      const named = tables.sort().slice(0, 5).join(', ') + (tables.length > 5 ? ` and ${tables.length - 5} more` : '');
      const licenseTables = tables.some((t) => t.startsWith('license_'));
      throw new UsageError(
        `The demo only runs on a database of its own, and ${redactUrl(url)} is not: it already holds ${tables.length === 1 ? 'a table' : `${tables.length} tables`} the demo did not make (${named})` +
          `${licenseTables ? ', a License Manager among them' : ''}. Nothing was written to it. Give the demo an empty database (--db or DATABASE_URL), or neither, for its own SQLite file in .demo/.`,
      );
    }
    await knex.schema.createTable(DEMO_MARKER_TABLE, (t) => {
      t.string('note', 200).notNullable();
    });
    await knex(DEMO_MARKER_TABLE).insert({ note: 'This database belongs to the License Manager demo (npm start); the demo writes demo data into it.' });
  } finally {
    await knex.destroy();
  }
}
