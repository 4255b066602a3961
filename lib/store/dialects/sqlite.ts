import type { Dialect } from './index.js';
import { code, unavailable } from './errors.js';
import { fileIdentity } from './connection.js';

/** SQLite (better-sqlite3): the embedded default. */
export const sqlite: Dialect = {
  kind: 'sqlite',
  identity: (_config, conn) => fileIdentity(conn),
  isUniqueViolation: (err) => String(code(err)).startsWith('SQLITE_CONSTRAINT'),
  version: async (knex) => `SQLite ${((await knex.raw('select sqlite_version() as v')) as Array<{ v: string }>)[0]!.v}`,
  forUpdate: (query) => query,
  // SQLITE_BUSY_SNAPSHOT too: in WAL mode a transaction that read before another committed
  // cannot write; run again, it reads the new state
  isRetryable: (err) => String(code(err)).startsWith('SQLITE_BUSY'),
  exactCollation: async () => undefined,
  hasIndex: async (knex, table, index) =>
    ((await knex.raw("select 1 from sqlite_master where type = 'index' and tbl_name = ? and name = ?", [table, index])) as unknown[]).length > 0,
  isUnavailable: unavailable((err) => ['SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_NOTADB'].some((c) => String(code(err)).startsWith(c))),
};
