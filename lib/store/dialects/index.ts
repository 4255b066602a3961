import type { Knex } from 'knex';
import { dbKind, type DbKind } from '../connect.js';
import { sqlite } from './sqlite.js';
import { postgres } from './postgres.js';
import { mysql } from './mysql.js';
import type { NetConnection } from './connection.js';

/**
 * Everything that differs between the SQL dialects, in one place. Query code asks the dialect;
 * it never branches on the vendor itself.
 */
export interface Dialect {
  kind: DbKind;
  /** where the database is, for the server ID (SPEC 4): what follows `kind://` in the connection identity */
  identity(config: Knex.Config, conn: NetConnection): string;
  /** true when the error is a unique / primary key violation */
  isUniqueViolation(err: unknown): boolean;
  /** server version, for the support information */
  version(knex: Knex): Promise<string>;
  /** lock the selected rows for the transaction (SQLite serialises writers already) */
  forUpdate<T extends Knex.QueryBuilder>(query: T): T;
  /** true when the transaction lost a deadlock or serialisation conflict and may be run again */
  isRetryable(err: unknown): boolean;
  /**
   * The collation that compares names exactly (case and trailing spaces), when the default
   * does not: MariaDB/MySQL compare case-insensitively and pad trailing spaces.
   */
  exactCollation(knex: Knex): Promise<string | undefined>;
  /** true when the table has an index of this name (so a migration step is safe to re-run) */
  hasIndex(knex: Knex, table: string, index: string): Promise<boolean>;
  /** true when the error says the database cannot be reached (not that the query was wrong) */
  isUnavailable(err: unknown): boolean;
  /**
   * Appends one audit entry in a single statement, where the database can hash (SPEC 17.3):
   * locks the chain head, computes `hash = sha256hex(prev_hash + bodyPrefix + id + "}")` with
   * `id` the next entry ID, inserts the row and moves the head. Undefined where the generic
   * transaction (lock, insert, update) is used instead, or when it answers undefined (this server
   * of the dialect cannot), and null when the chain head row is missing (AUDIT_CHAIN_BROKEN).
   */
  appendAuditEntry?(knex: Knex, row: AuditRowInput): Promise<{ id: number; prevHash: string; hash: string } | null | undefined>;
  /**
   * The database server's clock (ms since the epoch), the second witness of the clock policy
   * (SPEC 21). Undefined for SQLite, whose "server" is this machine's own clock.
   */
  serverClock?(knex: Knex): Promise<number>;
  /** How a transaction is fenced by the server's own clock (SPEC 21, lib/store/deadline.ts); none for SQLite. */
  fence?: Fence;
}

/**
 * NOTE: why a fence. A client that gives up on a COMMIT whose bytes sit in a stalled network
 * cannot take them back: when the network heals, the server commits. So the COMMIT travels in
 * ONE statement with a check the server makes with its own clock: "no later than `allowanceMs`
 * after this transaction started here", and rolls back otherwise. lib/store/deadline.ts chooses
 * the allowance so that the server's last moment is never after the client's.
 */
export interface Fence {
  /** a statement run right after BEGIN that fixes the transaction's start on the server's clock */
  begin?: string;
  /** the one statement that commits only within `allowanceMs` (whole ms) of the start, else fails */
  commit(connection: unknown, allowanceMs: number): string;
  /** closes the connection's socket at once: a connection that timed out is never used again */
  drop(connection: unknown): void;
  /** true when the error is the fence refusing to commit */
  refused(err: unknown): boolean;
  /** a statement without bound values and the fenced COMMIT may go as one query (PostgreSQL) */
  inline?: boolean;
}

/** An audit row before the chain gives it its ID and hash (lib/audit/log.ts). */
export interface AuditRowInput {
  at: number;
  actor: string;
  action: string;
  detail: string;
  /** the canonical JSON of the entry up to its ID, which is its last key */
  bodyPrefix: string;
}

const dialects: Record<DbKind, Dialect> = { sqlite, postgres, mysql };

export function dialectOf(knex: Knex | Knex.Config): Dialect {
  return dialects[dbKind(knex)];
}

/** Runs work again (a few times) when the database chose it as a deadlock victim. */
export async function withRetry<T>(dialect: Dialect, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!dialect.isRetryable(err) || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}

export function retryTransaction<T>(knex: Knex, dialect: Dialect, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withRetry(dialect, () => knex.transaction(work));
}
