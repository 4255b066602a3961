import type { Knex } from 'knex';
import { dbKind, knexConfigFromUrl } from '../store/connect.js';
import { dialectOf } from '../store/dialects/index.js';
import type { NetConnection } from '../store/dialects/connection.js';

/** A connection given as a URL, read by the driver's own parser as knexConfigFromUrl does. */
function fromUrl(url: string): NetConnection {
  if (/^(postgres|postgresql|mysql|mariadb):\/\//i.test(url)) {
    const { host, port, database } = knexConfigFromUrl(url).connection as NetConnection;
    return { host, port, database };
  }
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port || undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

function connectionOf(config: Knex.Config): NetConnection {
  const c = config.connection as unknown;
  if (typeof c === 'string') return fromUrl(c);
  if (typeof c === 'function') throw new TypeError('db: a connection given as a function cannot identify the server; pass host, port and database.');
  const conn = (c ?? {}) as NetConnection;
  if (conn.connectionString) return { ...fromUrl(conn.connectionString), ...stripUndefined({ host: conn.host, port: conn.port, database: conn.database }) };
  return conn;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The normalised identity of a database connection (SPEC 4):
 * `client://host:port/database[/schema]`, host lower-cased, default port filled in, no user,
 * password or other option. SQLite: `sqlite://` + the real absolute path of the file. What differs
 * per database is its dialect's `identity`.
 */
export function connectionIdentity(db: Knex | Knex.Config): string {
  const config: Knex.Config = typeof db === 'function' ? ((db as Knex).client.config as Knex.Config) : db;
  return `${dbKind(config)}://${dialectOf(config).identity(config, connectionOf(config))}`;
}
