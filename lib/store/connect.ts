import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type DbKind = 'sqlite' | 'postgres' | 'mysql';

/** The dialect behind a knex instance, chosen once from its client name. */
export function dbKind(db: Knex | Knex.Config): DbKind {
  const config = 'client' in db && typeof db !== 'function' ? (db as Knex.Config) : (db as Knex).client.config as Knex.Config;
  const client = typeof config.client === 'string' ? config.client : String((config.client as { prototype?: { dialect?: string } })?.prototype?.dialect ?? '');
  if (['better-sqlite3', 'sqlite3', 'sqlite'].includes(client)) return 'sqlite';
  if (['pg', 'postgres', 'postgresql', 'pgnative'].includes(client)) return 'postgres';
  if (['mysql', 'mysql2', 'mariadb'].includes(client)) return 'mysql';
  throw new TypeError(`Unsupported database client "${client}": use better-sqlite3, pg or mysql2.`);
}

/**
 * A knex config from a database URL: `sqlite:PATH`, `postgres://…` or `mysql://…`.
 * WHATWG URL parsing; credentials are URL-decoded.
 */
export function knexConfigFromUrl(url: string, cwd = process.cwd()): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new TypeError('A SQLite URL needs a file path: sqlite:./data.db');
    return withSqliteDefaults({ client: 'better-sqlite3', connection: { filename: path === ':memory:' ? path : resolve(cwd, path) } });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`"${url}" is not a database URL (sqlite:PATH, postgres://… or mysql://…).`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  const common = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: parsed.port ? Number(parsed.port) : undefined,
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined,
  };
  if (protocol === 'postgres' || protocol === 'postgresql') {
    const schema = parsed.searchParams.get('schema') ?? undefined;
    return { client: 'pg', connection: { ...common }, ...(schema ? { searchPath: [schema] } : {}) };
  }
  if (protocol === 'mysql' || protocol === 'mariadb') {
    return { client: 'mysql2', connection: { ...common } };
  }
  throw new TypeError(`Unsupported database URL scheme "${protocol}": use sqlite:, postgres:// or mysql://.`);
}

/**
 * Several nodes (or a CLI beside a running host) may share one SQLite file: wait for a writer
 * instead of failing with "database is locked".
 */
export function withSqliteDefaults(config: Knex.Config): Knex.Config {
  const pool = { ...(config.pool ?? {}) } as Knex.PoolConfig & { afterCreate?: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void };
  const hostAfterCreate = pool.afterCreate;
  pool.afterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => {
    (conn as { pragma(sql: string): unknown }).pragma('busy_timeout = 10000');
    if (hostAfterCreate) hostAfterCreate(conn, done);
    else done(null, conn);
  };
  return { useNullAsDefault: true, ...config, pool };
}

export function knexFromUrl(url: string, cwd?: string): Knex {
  return knexFactory(knexConfigFromUrl(url, cwd));
}

/** A knex instance from what the host passed: an instance (kept, not destroyed by us) or a config. */
export function openDb(db: Knex | Knex.Config | string): { knex: Knex; owned: boolean } {
  if (typeof db === 'string') return { knex: knexFromUrl(db), owned: true };
  if (typeof db === 'function') return { knex: db as Knex, owned: false };
  if (db && typeof db === 'object' && 'client' in db) {
    const config = { ...db } as Knex.Config;
    return { knex: knexFactory(dbKind(config) === 'sqlite' ? withSqliteDefaults(config) : config), owned: true };
  }
  throw new TypeError('db must be a knex instance, a knex config or a database URL.');
}
