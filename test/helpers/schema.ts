/**
 * A database's schema as plain, comparable data (SPEC 24 "upgrade equals fresh install"): tables,
 * columns (type, nullability, default), indexes (columns in order, unique) and foreign keys, read
 * from the database itself (sqlite pragmas, information_schema and pg_catalog), normalised so that
 * two databases built the same way compare equal whatever their names and creation order.
 */
import type { Knex } from 'knex';
import { dbKind, type DbKind } from '../../lib/store/connect.js';

export interface ColumnShape {
  type: string;
  nullable: boolean;
  /** the default as the dialect reports it (normalised), or null */
  default: string | null;
}
export interface IndexShape {
  columns: string[];
  unique: boolean;
}
export interface ForeignKeyShape {
  columns: string[];
  table: string;
  references: string[];
}
export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** by index name (primary keys are in `primaryKey`) */
  indexes: Record<string, IndexShape>;
  foreignKeys: ForeignKeyShape[];
}
export type SchemaShape = Record<string, TableShape>;

type Row = Record<string, unknown>;

async function rows(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  const result = (await knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  switch (dbKind(knex)) {
    case 'sqlite':
      return result as Row[];
    case 'postgres':
      return (result as { rows: Row[] }).rows;
    case 'mysql':
      return (result as [Row[]])[0];
  }
}

/** Lower-case keys: MySQL's information_schema answers in upper case. */
const lower = (r: Row): Row => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]));
const str = (v: unknown): string => String(v);

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function byKey(fks: ForeignKeyShape[]): ForeignKeyShape[] {
  return fks.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Tables whose names start with one of `prefixes` (default: all of ours). */
export async function readSchema(knex: Knex, prefixes: readonly string[] = ['license_', 'vendor_']): Promise<SchemaShape> {
  const read = readers[dbKind(knex)];
  const names = (await read.tables(knex)).filter((t) => prefixes.some((p) => t.startsWith(p))).sort();
  const out: SchemaShape = {};
  for (const name of names) out[name] = await read.table(knex, name);
  return out;
}

interface Reader {
  tables(knex: Knex): Promise<string[]>;
  table(knex: Knex, name: string): Promise<TableShape>;
}

const sqlite: Reader = {
  tables: async (knex) => (await rows(knex, "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")).map((r) => str(r.name)),
  async table(knex, name) {
    const q = (pragma: string) => rows(knex, `pragma ${pragma}(${JSON.stringify(name)})`);
    const columns: Record<string, ColumnShape> = {};
    const pk: Array<[number, string]> = [];
    for (const c of await q('table_info')) {
      columns[str(c.name)] = {
        type: str(c.type).toLowerCase(),
        nullable: Number(c.notnull) === 0 && Number(c.pk) === 0,
        default: c.dflt_value === null ? null : str(c.dflt_value),
      };
      if (Number(c.pk) > 0) pk.push([Number(c.pk), str(c.name)]);
    }
    const indexes: Record<string, IndexShape> = {};
    for (const i of await q('index_list')) {
      if (i.origin === 'pk') continue;
      const cols = (await rows(knex, `pragma index_info(${JSON.stringify(str(i.name))})`))
        .sort((a, b) => Number(a.seqno) - Number(b.seqno))
        .map((c) => str(c.name));
      indexes[str(i.name)] = { columns: cols, unique: Number(i.unique) === 1 };
    }
    const fks = new Map<number, ForeignKeyShape>();
    for (const f of await q('foreign_key_list')) {
      const fk = fks.get(Number(f.id)) ?? { columns: [], table: str(f.table), references: [] };
      fk.columns.push(str(f.from));
      fk.references.push(str(f.to));
      fks.set(Number(f.id), fk);
    }
    return {
      columns: sorted(columns),
      primaryKey: pk.sort((a, b) => a[0] - b[0]).map(([, c]) => c),
      indexes: sorted(indexes),
      foreignKeys: byKey([...fks.values()]),
    };
  },
};

/** `nextval('license_keys_id_seq'::regclass)` is how PostgreSQL reports an auto-increment. */
function pgDefault(d: unknown): string | null {
  if (d === null || d === undefined) return null;
  const s = str(d);
  return /^nextval\(/.test(s) ? 'autoincrement' : s;
}

const postgres: Reader = {
  tables: async (knex) =>
    (await rows(knex, "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'")).map((r) =>
      str(r.table_name),
    ),
  async table(knex, name) {
    const columns: Record<string, ColumnShape> = {};
    for (const c of await rows(
      knex,
      `select column_name, data_type, character_maximum_length, numeric_precision, is_nullable, column_default
       from information_schema.columns where table_schema = current_schema() and table_name = ?`,
      [name],
    )) {
      const length = c.character_maximum_length === null ? '' : `(${str(c.character_maximum_length)})`;
      columns[str(c.column_name)] = { type: `${str(c.data_type)}${length}`, nullable: c.is_nullable === 'YES', default: pgDefault(c.column_default) };
    }
    // every index with its columns in order, whether it backs a constraint or not
    const idx = await rows(
      knex,
      `select i.relname as name, ix.indisunique as uniq, ix.indisprimary as prim,
              array_to_string(array(select pg_get_indexdef(ix.indexrelid, k + 1, true) from generate_subscripts(ix.indkey, 1) as k order by k), ',') as cols
       from pg_index ix join pg_class t on t.oid = ix.indrelid join pg_class i on i.oid = ix.indexrelid
       join pg_namespace n on n.oid = t.relnamespace
       where n.nspname = current_schema() and t.relname = ?`,
      [name],
    );
    const indexes: Record<string, IndexShape> = {};
    let primaryKey: string[] = [];
    for (const i of idx) {
      const cols = str(i.cols).split(',');
      if (i.prim) primaryKey = cols;
      else indexes[str(i.name)] = { columns: cols, unique: Boolean(i.uniq) };
    }
    const fks = (
      await rows(
        knex,
        `select c.conname,
                array_to_string(array(select a.attname from unnest(c.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o), ',') as cols,
                r.relname as ref_table,
                array_to_string(array(select a.attname from unnest(c.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o), ',') as refs
         from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid
         join pg_namespace n on n.oid = t.relnamespace
         where c.contype = 'f' and n.nspname = current_schema() and t.relname = ?`,
        [name],
      )
    ).map((f) => ({ columns: str(f.cols).split(','), table: str(f.ref_table), references: str(f.refs).split(',') }));
    return { columns: sorted(columns), primaryKey, indexes: sorted(indexes), foreignKeys: byKey(fks) };
  },
};

const mysql: Reader = {
  tables: async (knex) =>
    (await rows(knex, "select table_name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'")).map((r) =>
      str(lower(r).table_name),
    ),
  async table(knex, name) {
    const columns: Record<string, ColumnShape> = {};
    for (const raw of await rows(
      knex,
      `select column_name, column_type, is_nullable, column_default, collation_name, extra
       from information_schema.columns where table_schema = database() and table_name = ?`,
      [name],
    )) {
      const c = lower(raw);
      const collation = c.collation_name ? ` collate ${str(c.collation_name)}` : '';
      const auto = /auto_increment/i.test(str(c.extra ?? '')) ? ' auto_increment' : '';
      // MariaDB reports a default as SQL (NULL, 'text', 0); MySQL as its value
      const d = c.column_default === null || c.column_default === 'NULL' ? null : str(c.column_default).replace(/^'(.*)'$/, '$1');
      columns[str(c.column_name)] = { type: `${str(c.column_type)}${collation}${auto}`, nullable: c.is_nullable === 'YES', default: d };
    }
    const parts = new Map<string, { unique: boolean; cols: Array<[number, string]> }>();
    for (const raw of await rows(
      knex,
      'select index_name, non_unique, seq_in_index, column_name from information_schema.statistics where table_schema = database() and table_name = ?',
      [name],
    )) {
      const s = lower(raw);
      const entry = parts.get(str(s.index_name)) ?? { unique: Number(s.non_unique) === 0, cols: [] };
      entry.cols.push([Number(s.seq_in_index), str(s.column_name)]);
      parts.set(str(s.index_name), entry);
    }
    const indexes: Record<string, IndexShape> = {};
    let primaryKey: string[] = [];
    for (const [index, { unique, cols }] of parts) {
      const list = cols.sort((a, b) => a[0] - b[0]).map(([, c]) => c);
      if (index === 'PRIMARY') primaryKey = list;
      else indexes[index] = { columns: list, unique };
    }
    const fks = new Map<string, ForeignKeyShape>();
    for (const raw of await rows(
      knex,
      `select constraint_name, column_name, referenced_table_name, referenced_column_name, ordinal_position
       from information_schema.key_column_usage
       where table_schema = database() and table_name = ? and referenced_table_name is not null order by constraint_name, ordinal_position`,
      [name],
    )) {
      const k = lower(raw);
      const fk = fks.get(str(k.constraint_name)) ?? { columns: [], table: str(k.referenced_table_name), references: [] };
      fk.columns.push(str(k.column_name));
      fk.references.push(str(k.referenced_column_name));
      fks.set(str(k.constraint_name), fk);
    }
    return { columns: sorted(columns), primaryKey, indexes: sorted(indexes), foreignKeys: byKey([...fks.values()]) };
  },
};

const readers: Record<DbKind, Reader> = { sqlite, postgres, mysql };

/** Every row of every table, ordered by its primary key (or all columns), for a fixture dump. */
export async function readRows(knex: Knex, schema: SchemaShape, skip: (table: string) => boolean = () => false): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const [table, shape] of Object.entries(schema)) {
    if (skip(table)) continue;
    const order = shape.primaryKey.length > 0 ? shape.primaryKey : Object.keys(shape.columns);
    const list = (await knex(table)
      .select('*')
      .orderBy(order.map((column) => ({ column })))) as Row[];
    out[table] = list.map((r) => sorted(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))));
  }
  return out;
}

/** Driver values as JSON: bigints as numbers (our bigints hold milliseconds), dates as ISO text. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v;
}

/** The differences between two schemas as sentences (empty when they are equal). */
export function diffSchemas(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  const keys = (o: object) => Object.keys(o);
  for (const t of keys(expected)) if (!actual[t]) out.push(`table ${t} is missing`);
  for (const t of keys(actual)) if (!expected[t]) out.push(`table ${t} is extra`);
  for (const t of keys(expected)) {
    const e = expected[t]!;
    const a = actual[t];
    if (!a) continue;
    for (const c of keys(e.columns)) {
      if (!a.columns[c]) out.push(`${t}.${c} is missing`);
      else if (JSON.stringify(a.columns[c]) !== JSON.stringify(e.columns[c]))
        out.push(`${t}.${c} is ${JSON.stringify(a.columns[c])}, expected ${JSON.stringify(e.columns[c])}`);
    }
    for (const c of keys(a.columns)) if (!e.columns[c]) out.push(`${t}.${c} is extra`);
    if (JSON.stringify(a.primaryKey) !== JSON.stringify(e.primaryKey)) out.push(`${t} primary key is (${a.primaryKey}), expected (${e.primaryKey})`);
    for (const i of keys(e.indexes)) {
      if (!a.indexes[i]) out.push(`index ${t}.${i} is missing`);
      else if (JSON.stringify(a.indexes[i]) !== JSON.stringify(e.indexes[i]))
        out.push(`index ${t}.${i} is ${JSON.stringify(a.indexes[i])}, expected ${JSON.stringify(e.indexes[i])}`);
    }
    for (const i of keys(a.indexes)) if (!e.indexes[i]) out.push(`index ${t}.${i} is extra`);
    if (JSON.stringify(a.foreignKeys) !== JSON.stringify(e.foreignKeys))
      out.push(`${t} foreign keys are ${JSON.stringify(a.foreignKeys)}, expected ${JSON.stringify(e.foreignKeys)}`);
  }
  return out;
}
