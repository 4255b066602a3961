/**
 * The deadline on every database call (SPEC 21): the one place every query of a license manager
 * passes is its knex client, so the deadline lives there, in a client derived from the host's
 * (same pool, same settings), not at the call sites.
 *
 * - Taking a connection from the pool, and every statement, gives up after `ms` with
 *   `DB_DEADLINE` (which the dialects call unavailable: 503 DATABASE_UNAVAILABLE). A connection
 *   whose statement timed out is dropped (its socket closed), never given back to the pool.
 * - Every transaction commits through its dialect's fence (dialects/index.ts): one statement
 *   that commits only while the server's own clock is within an allowance of the transaction's
 *   start there. The allowance is `G − t1 − margin`, with `G` the moment the client gives up on
 *   the COMMIT and `t1` the moment BEGIN's answer reached the client. The server started the
 *   transaction (`s0`) before that answer left it, so `s0 ≤ t1` and the server's last moment
 *   `s0 + G − t1 − margin` comes before the client's `G`: a COMMIT delayed past the client's
 *   deadline (bytes held by a stalled network and delivered when it heals) is rolled back.
 * - A write outside a transaction (one INSERT, UPDATE or DELETE) is made one: BEGIN, the
 *   statement, the fence; the same rule then holds for it.
 * What stays open, as in any protocol: a COMMIT the server ran before the deadline whose answer
 * is lost is reported as DATABASE_UNAVAILABLE though it applied. Writes are safe to repeat.
 */
import type { Knex } from 'knex';
import { dialectOf, type Fence } from './dialects/index.js';

/** Clocks of two machines over a few seconds, and our timer's own error (see `timed`). */
const FENCE_MARGIN_MS = 20;

export class DatabaseDeadlineError extends Error {
  readonly code = 'DB_DEADLINE';
  constructor(ms: number, options?: { cause?: unknown }) {
    super(`The database did not answer within ${ms} ms.`, options);
    this.name = 'DatabaseDeadlineError';
  }
}

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  method?: string;
  /** the client's deadline for this statement (performance.now() ms) */
  deadlineAt?: number;
  /** this statement is the fenced COMMIT */
  fenced?: boolean;
}

interface Connection {
  __knexTxId?: string;
  __knex__disposed?: unknown;
  /** set once a call on it timed out: no statement goes to it again */
  lmDeadline?: DatabaseDeadlineError;
}

interface Trx {
  begin(conn: Connection): Promise<unknown>;
  commit(conn: Connection, value: unknown): Promise<unknown>;
  query(conn: Connection, sql: string | QueryObject, status?: number, value?: unknown): Promise<unknown>;
  trxClient: { query(conn: Connection, sql: string): Promise<unknown> };
  /** when BEGIN's answer arrived (performance.now() ms) */
  lmStarted?: number;
}

/** A read needs no fence: nothing of it can apply later. */
function isRead(obj: QueryObject): boolean {
  if (obj.method === 'raw' || obj.method === undefined) return /^\s*(select|show)\b/i.test(obj.sql);
  return ['select', 'first', 'pluck', 'columnInfo'].includes(obj.method);
}

/**
 * Resolves with `run()` unless `deadlineAt` comes first; then drops the connection and rejects.
 * NOTE: a timer may fire early against performance.now() (libuv reads its clock once per loop
 * turn), so it checks and waits the rest: the client never gives up before `deadlineAt`.
 */
function timed<T>(fence: Fence, ms: number, conn: Connection, deadlineAt: number, run: () => Promise<T>): Promise<T> {
  if (conn.lmDeadline) return Promise.reject(conn.lmDeadline);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout;
    const fire = () => {
      const left = deadlineAt - performance.now();
      if (left > 0) {
        timer = setTimeout(fire, Math.ceil(left));
        return;
      }
      settled = true;
      const err = new DatabaseDeadlineError(ms);
      conn.lmDeadline = err;
      conn.__knex__disposed = err;
      try {
        fence.drop(conn);
      } catch {
        // already closed
      }
      reject(err);
    };
    timer = setTimeout(fire, Math.max(0, Math.ceil(deadlineAt - performance.now())));
    run().then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The allowance of a fenced COMMIT the client gives up on at `deadlineAt` (see the file's comment). */
const allowance = (deadlineAt: number, started: number): number => Math.max(0, deadlineAt - started - FENCE_MARGIN_MS);

type ClientClass = new (
  ...args: never[]
) => {
  acquireConnection(): Promise<Connection>;
  releaseConnection(conn: Connection): Promise<void>;
  _query(conn: Connection, obj: QueryObject): Promise<unknown>;
  transaction(...args: unknown[]): Trx;
  transacting?: boolean;
};

/**
 * A knex instance on the same pool as `knex` whose every call has the deadline `ms`. SQLite (a
 * file on this machine, with its own busy timeout) is given back as it is.
 * @example
 * const db = withDeadline(hostKnex, 5000); // the host's own instance keeps working as before
 */
export function withDeadline(knex: Knex, ms: number): Knex {
  const fence = dialectOf(knex).fence;
  if (!fence) return knex;
  const Base = knex.client.constructor as ClientClass;

  class DeadlineClient extends Base {
    override async acquireConnection(): Promise<Connection> {
      const acquiring = super.acquireConnection();
      let late = false;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new DatabaseDeadlineError(ms));
        }, ms);
      });
      // a connection that comes after we gave up goes back to the pool
      acquiring.then(
        (conn) => {
          if (late) void this.releaseConnection(conn);
        },
        () => undefined,
      );
      return Promise.race([acquiring, deadline]).finally(() => clearTimeout(timer));
    }

    override _query(conn: Connection, obj: QueryObject): Promise<unknown> {
      if (conn.__knexTxId === undefined && !isRead(obj)) return this.fencedWrite(conn, obj);
      return this.statement(conn, obj, obj.deadlineAt ?? performance.now() + ms);
    }

    private async statement(conn: Connection, obj: QueryObject, deadlineAt: number): Promise<unknown> {
      try {
        return await timed(fence!, ms, conn, deadlineAt, () => super._query(conn, obj));
      } catch (err) {
        if (!obj.fenced) throw err;
        // a COMMIT that failed leaves the transaction in a state no one should inherit
        conn.__knex__disposed = err;
        fence!.drop(conn);
        throw fence!.refused(err) ? new DatabaseDeadlineError(ms, { cause: err }) : err;
      }
    }

    /** One write outside a transaction, made a fenced transaction of its own. */
    private async fencedWrite(conn: Connection, obj: QueryObject): Promise<unknown> {
      const deadlineAt = performance.now() + ms;
      await this.statement(conn, { sql: 'BEGIN' }, deadlineAt);
      if (fence!.begin) await this.statement(conn, { sql: fence!.begin }, deadlineAt);
      const started = performance.now();
      if (fence!.inline && (obj.bindings ?? []).length === 0) {
        // one round trip: the statement, the check and the COMMIT run together in the server
        const together: QueryObject = { sql: `${obj.sql.trim().replace(/;$/, '')}; ${fence!.commit(conn, allowance(deadlineAt, started))}`, fenced: true };
        try {
          await this.statement(conn, together, deadlineAt);
        } catch (err) {
          await this.statement(conn, { sql: 'ROLLBACK' }, deadlineAt).catch(() => undefined);
          throw err;
        }
        return Object.assign(obj, { response: (together as { response?: unknown }).response });
      }
      let result: unknown;
      try {
        result = await this.statement(conn, obj, deadlineAt);
      } catch (err) {
        await this.statement(conn, { sql: 'ROLLBACK' }, deadlineAt).catch(() => undefined);
        throw err;
      }
      await this.statement(conn, { sql: fence!.commit(conn, allowance(deadlineAt, started)), fenced: true }, deadlineAt);
      return result;
    }

    override transaction(...args: unknown[]): Trx {
      const trx = super.transaction(...args);
      // a nested transaction is a savepoint of a fenced one
      if (this.transacting) return trx;
      const begin = trx.begin.bind(trx);
      trx.begin = async (conn) => {
        await begin(conn);
        if (fence!.begin) await trx.trxClient.query(conn, fence!.begin);
        trx.lmStarted = performance.now();
      };
      trx.commit = (conn, value) => {
        const deadlineAt = performance.now() + ms;
        const sql = fence!.commit(conn, allowance(deadlineAt, trx.lmStarted ?? deadlineAt));
        return trx.query(conn, { sql, deadlineAt, fenced: true }, 1, value);
      };
      return trx;
    }
  }

  const derived = knex.withUserParams({ ...knex.userParams });
  Object.setPrototypeOf(derived.client, DeadlineClient.prototype);
  return derived;
}
