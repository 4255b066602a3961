import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** What a connection says about where the database is (a knex connection object, or a URL read by its driver). */
export interface NetConnection {
  host?: string;
  port?: number | string;
  database?: string;
  connectionString?: string;
  filename?: string;
}

/** `host:port/database[/schema]`: host lower-cased, the default port filled in, no user or option (SPEC 4). */
export function networkIdentity(conn: NetConnection, defaultPort: number, schema?: string): string {
  const host = (conn.host ?? 'localhost').toLowerCase();
  const port = Number(conn.port ?? defaultPort);
  if (!conn.database) throw new TypeError('db: the connection must name its database.');
  return `${host}:${port}/${conn.database}${schema ? `/${schema}` : ''}`;
}

/** The real absolute path of a database file; for a file not created yet, its folder's real path plus its name. */
export function fileIdentity(conn: NetConnection): string {
  const filename = conn.filename;
  if (!filename || filename === ':memory:') throw new TypeError('db: an in-memory SQLite database has no identity; use a file.');
  const absolute = resolve(filename);
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
