/**
 * SPEC 24 "rolling upgrades": a migration that only adds leaves every node of the previous version
 * working on the new schema. Judged on the schema the database itself reports before and after the
 * migration runs (test/helpers/schema.ts), so whatever knex call or raw SQL a migration uses, what
 * counts is what it did.
 */
import type { Knex } from 'knex';
import { migrateLatest, type Migration } from '../../lib/store/migrate.js';
import { readSchema, type SchemaShape } from './schema.js';

/**
 * What makes a change not additive, as sentences (empty when it only adds): a table, column, index
 * or key removed or changed; a new column an old node's INSERT would break (NOT NULL without a
 * default); a new unique index or foreign key on an existing table (rows an old node writes could
 * violate it).
 */
export function nonAdditive(before: SchemaShape, after: SchemaShape): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const [t, old] of Object.entries(before)) {
    const now = after[t];
    if (!now) {
      out.push(`drops table ${t}`);
      continue;
    }
    for (const [c, shape] of Object.entries(old.columns)) {
      if (!now.columns[c]) out.push(`drops column ${t}.${c}`);
      else if (!same(now.columns[c], shape)) out.push(`changes column ${t}.${c} from ${JSON.stringify(shape)} to ${JSON.stringify(now.columns[c])}`);
    }
    for (const [c, shape] of Object.entries(now.columns)) {
      if (!old.columns[c] && !shape.nullable && shape.default === null)
        out.push(`adds column ${t}.${c} NOT NULL without a default (an older node's insert fails)`);
    }
    if (!same(old.primaryKey, now.primaryKey)) out.push(`changes the primary key of ${t}`);
    for (const [i, shape] of Object.entries(old.indexes)) {
      if (!now.indexes[i]) out.push(`drops index ${t}.${i}`);
      else if (!same(now.indexes[i], shape)) out.push(`changes index ${t}.${i}`);
    }
    for (const [i, shape] of Object.entries(now.indexes)) {
      if (!old.indexes[i] && shape.unique) out.push(`adds unique index ${t}.${i} to an existing table (an older node's rows may violate it)`);
    }
    for (const fk of old.foreignKeys) if (!now.foreignKeys.some((f) => same(f, fk))) out.push(`drops a foreign key of ${t}`);
    for (const fk of now.foreignKeys)
      if (!old.foreignKeys.some((f) => same(f, fk))) out.push(`adds a foreign key to existing table ${t} (${fk.columns} → ${fk.table})`);
  }
  return out;
}

/**
 * Runs `migrations` one at a time on an empty database: those of the baseline (the latest release)
 * together, then each later one alone, judging what each later one changed. Returns the findings
 * by migration name (empty lists when every later migration only adds).
 */
export async function judgeMigrations(
  knex: Knex,
  o: { tableName: string; migrations: Record<string, Migration>; baseline: readonly string[]; prefixes: readonly string[] },
): Promise<Record<string, string[]>> {
  const names = Object.keys(o.migrations).sort();
  const upTo = (last: number) => Object.fromEntries(names.slice(0, last + 1).map((n) => [n, o.migrations[n]!]));
  const released = new Set(o.baseline);
  const firstNew = names.findIndex((n) => !released.has(n));
  if (firstNew > 0) await migrateLatest(knex, { tableName: o.tableName, migrations: upTo(firstNew - 1) });
  const findings: Record<string, string[]> = {};
  if (firstNew < 0) return findings;
  for (let i = firstNew; i < names.length; i++) {
    const before = await readSchema(knex, o.prefixes);
    await migrateLatest(knex, { tableName: o.tableName, migrations: upTo(i) });
    findings[names[i]!] = nonAdditive(before, await readSchema(knex, o.prefixes));
  }
  return findings;
}
