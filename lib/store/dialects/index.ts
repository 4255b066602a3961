import type { Knex } from 'knex';
import { dbKind, type DbKind } from '../connect.js';

/**
 * Everything that differs between the SQL dialects, in one place. Query code asks the dialect;
 * it never branches on the vendor itself.
 */
export interface Dialect {
  kind: DbKind;
  /** true when the error is a unique / primary key violation */
  isUniqueViolation(err: unknown): boolean;
  /** server version, for the support information */
  version(knex: Knex): Promise<string>;
  /** lock the selected rows for the transaction (SQLite serialises writers already) */
  forUpdate<T extends Knex.QueryBuilder>(query: T): T;
}

const code = (err: unknown): unknown => (err as { code?: unknown })?.code;

const sqlite: Dialect = {
  kind: 'sqlite',
  isUniqueViolation: (err) => String(code(err)).startsWith('SQLITE_CONSTRAINT'),
  version: async (knex) => `SQLite ${((await knex.raw('select sqlite_version() as v')) as Array<{ v: string }>)[0]!.v}`,
  forUpdate: (query) => query,
};

const postgres: Dialect = {
  kind: 'postgres',
  isUniqueViolation: (err) => code(err) === '23505',
  version: async (knex) => `PostgreSQL ${((await knex.raw('show server_version')) as { rows: Array<{ server_version: string }> }).rows[0]!.server_version}`,
  forUpdate: (query) => query.forUpdate() as typeof query,
};

const mysql: Dialect = {
  kind: 'mysql',
  isUniqueViolation: (err) => code(err) === 'ER_DUP_ENTRY',
  version: async (knex) => {
    const [rows] = (await knex.raw('select version() as v')) as [Array<{ v: string }>];
    const v = rows[0]!.v;
    return v.toLowerCase().includes('mariadb') ? `MariaDB ${v}` : `MySQL ${v}`;
  },
  forUpdate: (query) => query.forUpdate() as typeof query,
};

const dialects: Record<DbKind, Dialect> = { sqlite, postgres, mysql };

export function dialectOf(knex: Knex): Dialect {
  return dialects[dbKind(knex)];
}
