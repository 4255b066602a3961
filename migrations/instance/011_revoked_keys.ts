import type { Knex } from 'knex';
import { dialectOf } from '../../lib/store/dialects/index.js';

const SETTING = 'revocations';
// knex writes a multi-row insert on SQLite as a compound SELECT, at most 500 terms
const BATCH = 500;

/**
 * SPEC 21: a revocation list of up to 100,000 keys. Its entries get a table of their own, one row
 * per revoked license, instead of the one settings row (a TEXT column: 64 KiB on MySQL, a few
 * hundred keys); the settings row keeps the list's number, signer and who set it. Adds a table and
 * copies the entries of a list already in force into it; the row 0.1.0 wrote is left as it was.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('license_revoked'))) {
    const collation = await dialectOf(knex).exactCollation(knex);
    await knex.schema.createTable('license_revoked', (t) => {
      const lid = t.string('lid', 64).notNullable();
      if (collation) lid.collate(collation);
      t.bigInteger('at').notNullable();
      t.primary(['lid']);
    });
  }
  const row = (await knex('license_settings').where({ name: SETTING }).first('value')) as { value: string } | undefined;
  if (!row) return;
  const { revoked } = JSON.parse(row.value) as { revoked?: { lid: string; at: number }[] };
  if (!Array.isArray(revoked)) return;
  await knex.transaction(async (trx) => {
    for (let i = 0; i < revoked.length; i += BATCH) {
      await trx('license_revoked')
        .insert(revoked.slice(i, i + BATCH).map(({ lid, at }) => ({ lid, at })))
        .onConflict('lid')
        .ignore();
    }
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('license_revoked');
}
