import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Knex } from 'knex';
import { dbKind, knexConfigFromUrl } from '../store/connect.js';

const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;

interface NetConnection {
  host?: string;
  port?: number | string;
  database?: string;
  connectionString?: string;
  filename?: string;
}

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

/** The real path; for a file not created yet, the real path of its folder plus its name. */
function realPath(absolute: string): string {
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** PostgreSQL schema from searchPath, when the host set one other than the default. */
function schemaOf(config: Knex.Config): string | undefined {
  const path = config.searchPath;
  const first = Array.isArray(path) ? path[0] : typeof path === 'string' ? path.split(',')[0]?.trim() : undefined;
  return first && first !== 'public' ? first : undefined;
}

/**
 * The normalised identity of a database connection (SPEC 4):
 * `client://host:port/database[/schema]`, host lower-cased, default port filled in, no user,
 * password or other option. SQLite: `sqlite://` + the real absolute path of the file.
 */
export function connectionIdentity(db: Knex | Knex.Config): string {
  const config: Knex.Config = typeof db === 'function' ? ((db as Knex).client.config as Knex.Config) : db;
  const kind = dbKind(config);
  const conn = connectionOf(config);
  if (kind === 'sqlite') {
    const filename = conn.filename;
    if (!filename || filename === ':memory:') {
      throw new TypeError('db: an in-memory SQLite database has no identity; use a file.');
    }
    const absolute = resolve(filename);
    return `sqlite://${realPath(absolute)}`;
  }
  const host = (conn.host ?? 'localhost').toLowerCase();
  const port = Number(conn.port ?? DEFAULT_PORTS[kind]);
  if (!conn.database) throw new TypeError('db: the connection must name its database.');
  const schema = kind === 'postgres' ? schemaOf(config) : undefined;
  return `${kind}://${host}:${port}/${conn.database}${schema ? `/${schema}` : ''}`;
}
