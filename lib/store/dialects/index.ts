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
}

const FENCE_MESSAGE = 'license-manager: the transaction passed its deadline and is rolled back';
const refusedByFence = (err: unknown): boolean => String((err as { message?: unknown })?.message ?? '').includes(FENCE_MESSAGE);

/** An audit row before the chain gives it its ID and hash (lib/audit/log.ts). */
export interface AuditRowInput {
  at: number;
  actor: string;
  action: string;
  detail: string;
  /** the canonical JSON of the entry up to its ID, which is its last key */
  bodyPrefix: string;
}

const code = (err: unknown): unknown => (err as { code?: unknown })?.code;

/** Socket and pool errors, the same whatever the driver: the connection is gone or never came. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'DB_DEADLINE']);

/**
 * The one place that decides whether an error means "the database is unavailable" (SPEC 15.2):
 * the network codes, knex's pool timeout, then the driver's own `specific` test, along the
 * `cause` chain (knex and the drivers wrap errors).
 */
function unavailable(specific: (err: unknown) => boolean): (err: unknown) => boolean {
  return (err) => {
    for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
      const c = code(e);
      if (typeof c === 'string' && NETWORK_CODES.has(c)) return true;
      if ((e as { name?: unknown }).name === 'KnexTimeoutError') return true;
      if (specific(e)) return true;
    }
    return false;
  };
}

const message = (err: unknown): string => String((err as { message?: unknown })?.message ?? '');

const sqlite: Dialect = {
  kind: 'sqlite',
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

const postgres: Dialect = {
  kind: 'postgres',
  isUniqueViolation: (err) => code(err) === '23505',
  version: async (knex) => `PostgreSQL ${((await knex.raw('show server_version')) as { rows: Array<{ server_version: string }> }).rows[0]!.server_version}`,
  forUpdate: (query) => query.forUpdate() as typeof query,
  isRetryable: (err) => code(err) === '40P01' || code(err) === '40001',
  exactCollation: async () => undefined,
  hasIndex: async (knex, table, index) =>
    ((await knex.raw('select 1 from pg_indexes where schemaname = current_schema() and tablename = ? and indexname = ?', [table, index])) as { rows: unknown[] }).rows.length > 0,
  // NOTE: one round trip instead of five: the head's row lock is held only while this statement
  // runs and commits, so concurrent nodes append several times faster than with a transaction.
  appendAuditEntry: async (knex, row) => {
    const result = (await knex.raw(
      `with old as (select last_id, hash from license_audit_head where id = 1 for update),
       next as (select last_id + 1 as id, hash as prev,
                       encode(sha256(convert_to(hash || ? || (last_id + 1)::text || '}', 'UTF8')), 'hex') as hash from old),
       ins as (insert into license_audit (id, at, actor, action, detail, prev_hash, hash)
               select id, ?, ?, ?, ?, prev, hash from next returning id, prev_hash, hash)
       update license_audit_head h set last_id = ins.id, hash = ins.hash from ins where h.id = 1
       returning ins.id, ins.prev_hash, ins.hash`,
      [row.bodyPrefix, row.at, row.actor, row.action, row.detail],
    )) as { rows: Array<{ id: string | number; prev_hash: string; hash: string }> };
    const [r] = result.rows;
    if (!r) return null;
    return { id: Number(r.id), prevHash: r.prev_hash, hash: r.hash };
  },
  // now() is the start of the transaction, fixed by the server when it ran BEGIN
  fence: {
    commit: (_conn, ms) =>
      `DO $lm$ BEGIN IF clock_timestamp() > now() + interval '${Math.floor(ms)} milliseconds' THEN RAISE EXCEPTION '${FENCE_MESSAGE}' USING ERRCODE = '57014'; END IF; END $lm$; COMMIT;`,
    drop: (conn) => (conn as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(),
    refused: refusedByFence,
  },
  serverClock: async (knex) => Number(((await knex.raw('select extract(epoch from clock_timestamp()) * 1000 as ms')) as { rows: Array<{ ms: string | number }> }).rows[0]!.ms),
  // class 08 (connection exception), 57P01–57P03 (server shut down or starting); node-postgres
  // reports a dropped socket only in its message
  isUnavailable: unavailable((err) => {
    const c = String(code(err));
    return c.startsWith('08') || ['57P01', '57P02', '57P03'].includes(c) || /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(message(err));
  }),
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
  isRetryable: (err) => code(err) === 'ER_LOCK_DEADLOCK' || code(err) === 'ER_LOCK_WAIT_TIMEOUT',
  exactCollation: async (knex) => {
    // MariaDB: utf8mb4_nopad_bin; MySQL 8: utf8mb4_0900_bin; both binary and NO PAD
    for (const name of ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin']) {
      const [rows] = (await knex.raw('show collation like ?', [name])) as [unknown[]];
      if (rows.length > 0) return name;
    }
    return 'utf8mb4_bin';
  },
  hasIndex: async (knex, table, index) => {
    const [rows] = (await knex.raw('select 1 from information_schema.statistics where table_schema = database() and table_name = ? and index_name = ?', [table, index])) as [unknown[]];
    return rows.length > 0;
  },
  // NOTE: MariaDB (10.5+) returns the inserted row, so the head is locked, the entry hashed and
  // inserted in one round trip and the lock is held for two more (move the head, commit) instead
  // of three; MySQL has no INSERT … RETURNING and takes the generic transaction.
  appendAuditEntry: async (knex, row) => {
    if (!(await isMariaDb(knex))) return undefined;
    return knex.transaction(async (trx) => {
      const [rows] = (await trx.raw(
        `insert into license_audit (id, at, actor, action, detail, prev_hash, hash)
         select last_id + 1, ?, ?, ?, ?, hash, sha2(concat(hash, ?, last_id + 1, '}'), 256)
         from license_audit_head where id = 1 for update
         returning id, prev_hash, hash`,
        [row.at, row.actor, row.action, row.detail, row.bodyPrefix],
      )) as [Array<{ id: string | number; prev_hash: string; hash: string }>];
      const r = rows[0];
      if (!r) return null;
      await trx('license_audit_head').where({ id: 1 }).update({ last_id: r.id, hash: r.hash });
      return { id: Number(r.id), prevHash: r.prev_hash, hash: r.hash };
    });
  },
  // NOTE: MariaDB runs an anonymous compound statement as one statement, COMMIT included; MySQL
  // has none, and commits unfenced (README): the deadline still holds, the late COMMIT may not
  fence: {
    begin: 'set @license_manager_tx_start = utc_timestamp(6)',
    commit: (conn, ms) =>
      /MariaDB/i.test(String((conn as { _handshakePacket?: { serverVersion?: string } })._handshakePacket?.serverVersion ?? ''))
        ? `BEGIN NOT ATOMIC IF utc_timestamp(6) > @license_manager_tx_start + INTERVAL ${Math.floor(ms) * 1000} MICROSECOND THEN ROLLBACK; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${FENCE_MESSAGE}'; END IF; COMMIT; END`
        : 'COMMIT',
    drop: (conn) => (conn as { destroy(): void }).destroy(),
    refused: refusedByFence,
  },
  // NOTE: whole seconds, but free of the session time zone (and of its daylight-saving hour)
  serverClock: async (knex) => Number(((await knex.raw('select unix_timestamp() * 1000 as ms')) as [Array<{ ms: string | number }>])[0][0]!.ms),
  // mysql2 marks errors that kill the connection as `fatal`
  isUnavailable: unavailable((err) => (err as { fatal?: unknown }).fatal === true || ['PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN'].includes(String(code(err)))),
};

const mariaDb = new WeakMap<Knex, Promise<boolean>>();

/** MariaDB or MySQL behind the `mysql` dialect, asked once per knex instance. */
function isMariaDb(knex: Knex): Promise<boolean> {
  let answer = mariaDb.get(knex);
  if (!answer) {
    answer = mysql.version(knex).then((v) => v.startsWith('MariaDB'));
    answer.catch(() => mariaDb.delete(knex));
    mariaDb.set(knex, answer);
  }
  return answer;
}

const dialects: Record<DbKind, Dialect> = { sqlite, postgres, mysql };

export function dialectOf(knex: Knex): Dialect {
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
