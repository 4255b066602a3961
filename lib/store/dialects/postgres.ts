import type { Dialect } from './index.js';
import type { Knex } from 'knex';
import { code, FENCE_MESSAGE, message, refusedByFence, unavailable } from './errors.js';
import { networkIdentity } from './connection.js';

type PgResult = { rows: Array<{ id: string | number; prev_hash: string; hash: string }> };

/** PostgreSQL (pg). */
export const postgres: Dialect = {
  kind: 'postgres',
  identity: (config, conn) => networkIdentity(conn, 5432, schemaOf(config)),
  isUniqueViolation: (err) => code(err) === '23505',
  version: async (knex) => `PostgreSQL ${((await knex.raw('show server_version')) as { rows: Array<{ server_version: string }> }).rows[0]!.server_version}`,
  forUpdate: (query) => query.forUpdate() as typeof query,
  isRetryable: (err) => code(err) === '40P01' || code(err) === '40001',
  exactCollation: async () => undefined,
  hasIndex: async (knex, table, index) =>
    (
      (await knex.raw('select 1 from pg_indexes where schemaname = current_schema() and tablename = ? and indexname = ?', [table, index])) as {
        rows: unknown[];
      }
    ).rows.length > 0,
  // NOTE: one round trip instead of five: the head's row lock is held only while this statement
  // runs and commits, so concurrent nodes append several times faster than with a transaction.
  // Its values are literals (the driver's own escapeLiteral), with no bound parameters: the
  // deadline client (lib/store/deadline.ts) then sends it and its fenced COMMIT as one query,
  // so the lock is still held only inside the server.
  appendAuditEntry: async (knex, row) => {
    const escapeLiteral = (knex.client as { driver: { escapeLiteral(value: string): string } }).driver.escapeLiteral;
    // knex numbers every ? of a query's text as a parameter, so a ? in a value is spelled chr(63)
    const literal = (value: string) =>
      `(${value
        .split('?')
        .map((part) => escapeLiteral(part))
        .join(' || chr(63) || ')})`;
    const result = (await knex.raw(
      `with old as (select last_id, hash from license_audit_head where id = 1 for update),
       next as (select last_id + 1 as id, hash as prev,
                       encode(sha256(convert_to(hash || ${literal(row.bodyPrefix)} || (last_id + 1)::text || '}', 'UTF8')), 'hex') as hash from old),
       ins as (insert into license_audit (id, at, actor, action, detail, prev_hash, hash)
               select id, ${Math.trunc(row.at)}, ${literal(row.actor)}, ${literal(row.action)}, ${literal(row.detail)}, prev, hash from next returning id, prev_hash, hash)
       update license_audit_head h set last_id = ins.id, hash = ins.hash from ins where h.id = 1
       returning ins.id, ins.prev_hash, ins.hash`,
    )) as PgResult | PgResult[];
    // one result alone, or the statement's first among those of its one-query transaction
    const [r] = (Array.isArray(result) ? result[0]! : result).rows;
    if (!r) return null;
    return { id: Number(r.id), prevHash: r.prev_hash, hash: r.hash };
  },
  // now() is the start of the transaction, fixed by the server when it ran BEGIN
  fence: {
    commit: (_conn, ms) =>
      `DO $lm$ BEGIN IF clock_timestamp() > now() + interval '${Math.floor(ms)} milliseconds' THEN RAISE EXCEPTION '${FENCE_MESSAGE}' USING ERRCODE = '57014'; END IF; END $lm$; COMMIT;`,
    drop: (conn) => (conn as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(),
    refused: refusedByFence,
    inline: true,
  },
  serverClock: async (knex) =>
    Number(((await knex.raw('select extract(epoch from clock_timestamp()) * 1000 as ms')) as { rows: Array<{ ms: string | number }> }).rows[0]!.ms),
  // class 08 (connection exception), 57P01–57P03 (server shut down or starting); node-postgres
  // reports a dropped socket only in its message
  isUnavailable: unavailable((err) => {
    const c = String(code(err));
    return (
      c.startsWith('08') ||
      ['57P01', '57P02', '57P03'].includes(c) ||
      /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(message(err))
    );
  }),
};

/** The schema from searchPath, when the host set one other than the default: part of the identity. */
function schemaOf(config: Knex.Config): string | undefined {
  const path = config.searchPath;
  const first = Array.isArray(path) ? path[0] : typeof path === 'string' ? path.split(',')[0]?.trim() : undefined;
  return first && first !== 'public' ? first : undefined;
}
