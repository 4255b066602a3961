import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../host.js';
import { redactUrl } from '../redact.js';

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
    return withSqliteDefaults({ client: 'better-sqlite3', connection: { filename: path === ':memory:' ? path : resolve(cwd, path) }, compileSqlOnError: false });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`"${redactUrl(url)}" is not a database URL (sqlite:PATH, postgres://… or mysql://…).`);
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
    return { client: 'pg', connection: { ...common }, compileSqlOnError: false, ...(schema ? { searchPath: [schema] } : {}) };
  }
  if (protocol === 'mysql' || protocol === 'mariadb') {
    return { client: 'mysql2', connection: { ...common }, compileSqlOnError: false };
  }
  throw new TypeError(`Unsupported database URL scheme "${protocol}": use sqlite:, postgres:// or mysql://.`);
}

/** true for a SQLite database kept in memory, which has no journal file to change. */
function inMemory(config: Knex.Config): boolean {
  const filename = String((config.connection as { filename?: unknown } | undefined)?.filename ?? '');
  return filename === '' || filename === ':memory:' || filename.startsWith('file::memory:') || /[?&]mode=memory\b/.test(filename);
}

/**
 * Several nodes (or a CLI beside a running host) may share one SQLite file: wait for a writer
 * instead of failing with "database is locked". A file database is put in WAL journal mode (it
 * stays so for every later connection): readers no longer block the writer, and a commit costs
 * one sync of the log instead of the journal's several, which the audit chain's appends pay.
 */
export function withSqliteDefaults(config: Knex.Config): Knex.Config {
  const pool = { ...(config.pool ?? {}) } as Knex.PoolConfig & { afterCreate?: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void };
  const hostAfterCreate = pool.afterCreate;
  const wal = !inMemory(config) && (config.connection as { options?: { readonly?: boolean } } | undefined)?.options?.readonly !== true;
  pool.afterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => {
    (conn as { pragma(sql: string): unknown }).pragma('busy_timeout = 10000');
    if (wal) (conn as { pragma(sql: string): unknown }).pragma('journal_mode = WAL');
    if (hostAfterCreate) hostAfterCreate(conn, done);
    else done(null, conn);
  };
  return { useNullAsDefault: true, ...config, pool };
}

export function knexFromUrl(url: string, cwd?: string): Knex {
  return knexFactory(withTimeouts(knexConfigFromUrl(url, cwd)));
}

/**
 * knex's own warnings (a pooled connection reset, a failed connect) go to the host's logger,
 * first line only, instead of the console.
 */
function driverLog(logger: Logger): Knex.Config['log'] {
  const line = (m: unknown) => String(m instanceof Error ? m.message : m).split('\n')[0]!.slice(0, 200);
  return {
    warn: (m: unknown) => logger.warn('database driver warning', { message: line(m) }),
    error: (m: unknown) => logger.warn('database driver error', { message: line(m) }),
    deprecate: () => undefined,
    debug: () => undefined,
  };
}

/**
 * SPEC 15.2: nothing waits for ever on a database that does not answer. knex waits 60 s for a
 * pooled connection and node-postgres for ever for a new one; ours give up after 10 s (the
 * host's own settings win). mysql2 already gives up connecting after 10 s.
 */
export function withTimeouts(config: Knex.Config): Knex.Config {
  const out: Knex.Config = { acquireConnectionTimeout: 10_000, ...config };
  if (dbKind(config) === 'postgres' && config.connection && typeof config.connection === 'object') {
    out.connection = { connectionTimeoutMillis: 10_000, ...(config.connection as object) } as Knex.PgConnectionConfig;
  }
  return out;
}

/** A knex instance from what the host passed: an instance (kept, not destroyed by us) or a config. */
export function openDb(db: Knex | Knex.Config | string, logger?: Logger): { knex: Knex; owned: boolean } {
  if (typeof db === 'function') return { knex: db as Knex, owned: false };
  if (typeof db === 'string' || (db && typeof db === 'object' && 'client' in db)) {
    // NOTE: knex would inline the bound values (a license key, an address) into error messages
    const config = typeof db === 'string' ? knexConfigFromUrl(db) : ({ compileSqlOnError: false, ...db } as Knex.Config);
    const ready = dbKind(config) === 'sqlite' ? withSqliteDefaults(config) : withTimeouts(config);
    return { knex: knexFactory(logger && !ready.log ? { ...ready, log: driverLog(logger) } : ready), owned: true };
  }
  throw new TypeError('db must be a knex instance, a knex config or a database URL.');
}
