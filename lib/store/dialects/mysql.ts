import type { Knex } from 'knex';
import type { Dialect } from './index.js';
import { code, FENCE_MESSAGE, refusedByFence, unavailable } from './errors.js';
import { networkIdentity } from './connection.js';

/** MariaDB and MySQL (mysql2). */
export const mysql: Dialect = {
  kind: 'mysql',
  identity: (_config, conn) => networkIdentity(conn, 3306),
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
    const [rows] = (await knex.raw('select 1 from information_schema.statistics where table_schema = database() and table_name = ? and index_name = ?', [
      table,
      index,
    ])) as [unknown[]];
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
  isUnavailable: unavailable(
    (err) =>
      (err as { fatal?: unknown }).fatal === true || ['PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN'].includes(String(code(err))),
  ),
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
