import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../host.js';
import { redactText, redactUrl } from '../redact.js';

export type DbKind = 'sqlite' | 'postgres' | 'mysql';

/** The dialect behind a knex instance, chosen once from its client name. */
export function dbKind(db: Knex | Knex.Config): DbKind {
  const config = 'client' in db && typeof db !== 'function' ? (db as Knex.Config) : ((db as Knex).client.config as Knex.Config);
  const client = typeof config.client === 'string' ? config.client : String((config.client as { prototype?: { dialect?: string } })?.prototype?.dialect ?? '');
  if (['better-sqlite3', 'sqlite3', 'sqlite'].includes(client)) return 'sqlite';
  if (['pg', 'postgres', 'postgresql', 'pgnative'].includes(client)) return 'postgres';
  if (['mysql', 'mysql2', 'mariadb'].includes(client)) return 'mysql';
  throw new TypeError(`Unsupported database client "${client}": use better-sqlite3, pg or mysql2.`);
}

const requireHere = createRequire(import.meta.url);

/** A driver package the host installed (SPEC 20: the drivers are the host's), or a TypeError naming it. */
function driverPackage<T>(name: string, what: string): T {
  try {
    return requireHere(name) as T;
  } catch {
    throw new TypeError(`${what} needs the "${name}" package: run npm install ${name}.`);
  }
}

type PgParse = ((url: string) => Record<string, unknown>) & { parseIntoClientConfig?: (url: string) => Record<string, unknown> };

/**
 * node-postgres's own connection-string parser, the very copy `pg` loads (resolved from pg's
 * folder): every parameter (`sslmode`, `sslrootcert`, `application_name`, `host=/socket/dir`,
 * `options`, ...) means to us what it means to the driver.
 */
function pgParser(): PgParse {
  const pgMain = (() => {
    try {
      return requireHere.resolve('pg');
    } catch {
      throw new TypeError('A postgres:// database URL needs the "pg" package: run npm install pg.');
    }
  })();
  return createRequire(pgMain)('pg-connection-string') as PgParse;
}

const blank = (v: unknown): boolean => v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v));
const withoutBlanks = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => !blank(v)));

/** `postgres://…`: parsed by pg's parser; our own `schema` parameter becomes knex's searchPath. */
function postgresConfig(url: string): Knex.Config {
  const parse = pgParser();
  const parsed = withoutBlanks(parse.parseIntoClientConfig ? parse.parseIntoClientConfig(url) : parse(url));
  const { schema, ...connection } = parsed;
  if (typeof connection.port === 'string') connection.port = Number(connection.port);
  return {
    client: 'pg',
    connection: connection as Knex.PgConnectionConfig,
    compileSqlOnError: false,
    ...(typeof schema === 'string' && schema ? { searchPath: [schema] } : {}),
  };
}

/**
 * `mysql://…`: parsed by mysql2's own `ConnectionConfig.parseUrl` (what mysql2 does with a `uri`):
 * query parameters are JSON where they parse as JSON (`ssl={"rejectUnauthorized":true}`), text
 * otherwise (`ssl=Amazon RDS`, `charset=utf8mb4`, `timezone=Z`, `socketPath=/run/mysqld/mysqld.sock`).
 */
function mysqlConfig(url: string): Knex.Config {
  const { ConnectionConfig } = driverPackage<{ ConnectionConfig: { parseUrl(url: string): Record<string, unknown> } }>('mysql2', 'A mysql:// database URL');
  const connection = withoutBlanks(ConnectionConfig.parseUrl(url.replace(/^mariadb:/i, 'mysql:')));
  return { client: 'mysql2', connection: connection as Knex.MySql2ConnectionConfig, compileSqlOnError: false };
}

/**
 * A knex config from a database URL: `sqlite:PATH`, `postgres://…` or `mysql://…`. PostgreSQL and
 * MySQL URLs go through their drivers' own parsers, so every parameter reaches the driver as the
 * driver reads it (SPEC 21); the server ID still takes only host, port, database and schema.
 */
export function knexConfigFromUrl(url: string, cwd = process.cwd()): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new TypeError('A SQLite URL needs a file path: sqlite:./data.db');
    return withSqliteDefaults({
      client: 'better-sqlite3',
      connection: { filename: path === ':memory:' ? path : resolve(cwd, path) },
      compileSqlOnError: false,
    });
  }
  const protocol = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!protocol) throw new TypeError(`"${redactUrl(url)}" is not a database URL (sqlite:PATH, postgres://… or mysql://…).`);
  if (protocol !== 'postgres' && protocol !== 'postgresql' && protocol !== 'mysql' && protocol !== 'mariadb') {
    throw new TypeError(`Unsupported database URL scheme "${protocol}": use sqlite:, postgres:// or mysql://.`);
  }
  try {
    return protocol === 'mysql' || protocol === 'mariadb' ? mysqlConfig(url) : postgresConfig(url);
  } catch (err) {
    if (err instanceof TypeError && /needs the "/.test(err.message)) throw err;
    // NOTE: the parsers' own messages may repeat the URL with its password
    const reason = redactText(err instanceof Error ? err.message : String(err));
    throw new TypeError(`"${redactUrl(url)}" is not a database URL the ${protocol.startsWith('postgres') ? 'pg' : 'mysql2'} driver can read: ${reason}`);
  }
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

/**
 * knex's own warnings (a pooled connection reset, a failed connect) go to the host's logger,
 * first line only, instead of the console.
 */
function driverLog(logger: Logger): Knex.Config['log'] {
  const line = (m: unknown) =>
    String(m instanceof Error ? m.message : m)
      .split('\n')[0]!
      .slice(0, 200);
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
    return { knex: withDriver(ready, () => knexFactory(logger && !ready.log ? { ...ready, log: driverLog(logger) } : ready)), owned: true };
  }
  throw new TypeError('db must be a knex instance, a knex config or a database URL.');
}

const UNTRUSTED_CERT = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/**
 * A connection refused for its TLS settings, as a sentence that says which setting (SPEC 21):
 * the URL asks for TLS and the server has none, or the server's certificate is not trusted. A
 * setting that cannot work is a configuration mistake (a TypeError), not an outage to retry.
 */
export function tlsRefusal(err: unknown): TypeError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (/does not support SSL|server does not support secure connection/i.test(e.message) || code === 'HANDSHAKE_NO_SSL_SUPPORT') {
      return new TypeError(
        'The database server does not accept TLS connections, but the database URL requires TLS (sslmode or ssl): turn TLS on in the server, ' +
          'or remove that requirement from the URL if the network between them is trusted.',
        { cause: err },
      );
    }
    if (UNTRUSTED_CERT.has(code)) {
      return new TypeError(
        `The database server's TLS certificate is not trusted (${code}), so no connection was made: name the certificate authority that signed it ` +
          'in the database URL (sslrootcert=FILE for PostgreSQL, ssl={"ca":…} for MySQL), or give the server a certificate the system trusts.',
        { cause: err },
      );
    }
  }
  return undefined;
}

/** The npm package of each database's driver: the host installs the one it uses (optional peer dependencies). */
export const DRIVER_PACKAGES: Record<DbKind, string> = { postgres: 'pg', mysql: 'mysql2', sqlite: 'better-sqlite3' };

/** knex loads the driver when it is made; a missing one is the host's setup, said as a TypeError naming the package. */
function withDriver(config: Knex.Config, make: () => Knex): Knex {
  try {
    return make();
  } catch (err) {
    const pkg = DRIVER_PACKAGES[dbKind(config)];
    if (/Cannot find (module|package)/.test(String((err as Error).message)) && String((err as Error).message).includes(`'${pkg}'`)) {
      throw new TypeError(`The ${dbKind(config)} database needs the "${pkg}" package, which is not installed: run npm install ${pkg}.`, { cause: err });
    }
    throw err;
  }
}
