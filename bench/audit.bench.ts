/**
 * SPEC 17.3: appends to the audit log with 4 concurrent writers (each its own connection pool,
 * as nodes of a cluster would be), on SQLite, PostgreSQL and MariaDB; the chain is verified
 * afterwards and a broken one fails the benchmark. Goal: ≥ 500 appends/s, with the deadline on
 * every database call the manager puts on its knex (SPEC 21: each append commits through the fence).
 */
import type { Knex } from 'knex';
import { DbFactory, unavailable } from '../test/helpers/dbs.js';
import { migrateLatest } from '../lib/store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { appendAudit, verifyAudit } from '../lib/audit/index.js';
import { openDb, type DbKind } from '../lib/store/connect.js';
import { withDeadline } from '../lib/store/deadline.js';
import { DEFAULT_DB_TIMEOUT_MS } from '../lib/manager-options.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

const WRITERS = 4;
const PER_WRITER = 250;
const ROUNDS = 3;
const log = (text: string) => process.stderr.write(`  ${text}\n`);

async function round(writers: Knex[]): Promise<number> {
  const at = new Date();
  const t0 = performance.now();
  await Promise.all(
    writers.map(async (knex, w) => {
      for (let i = 0; i < PER_WRITER; i++) await appendAudit(knex, { at, actor: `writer-${w}`, action: 'threshold_changed', detail: { from: i, to: i + 1 } });
    }),
  );
  return (WRITERS * PER_WRITER) / ((performance.now() - t0) / 1000);
}

async function benchOne(kind: DbKind, emit: Emit): Promise<void> {
  const reason = await unavailable(kind);
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`${kind} is not reachable: ${reason}`);
    log(`######## SKIP audit benchmark on ${kind}: ${reason}`);
    return;
  }
  const dbs = new DbFactory(kind);
  const db = await dbs.fresh('bench');
  // NOTE: on SQLite the writers are one process's connections: better-sqlite3 waits for a lock
  // synchronously, so they share one pool (a node's pool); on the servers each has its own.
  const pools = kind === 'sqlite' ? 1 : WRITERS;
  // opened as the module opens a config (openDb): on SQLite, a pool of our own would otherwise
  // lose the busy timeout and the WAL journal that withSqliteDefaults puts in the pool's afterCreate
  const knexes = Array.from({ length: pools }, () => openDb({ ...db.config, pool: { min: 1, max: 2 } }).knex);
  const writers = Array.from({ length: WRITERS }, (_, i) => withDeadline(knexes[i % pools]!, DEFAULT_DB_TIMEOUT_MS));
  try {
    await migrateLatest(knexes[0]!, { tableName: 'license_migrations', migrations: instanceMigrations });
    await round(writers); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rates.push(await round(writers));
    const check = await verifyAudit(knexes[0]!);
    const expected = (ROUNDS + 1) * WRITERS * PER_WRITER;
    if (!check.ok || check.entries !== expected) throw new Error(`${kind}: the chain does not hold after the run: ${JSON.stringify(check)}`);
    log(`${kind}: ${rates.map((r) => Math.round(r)).join(', ')} appends/s; chain of ${check.entries} entries verified`);
    emit({ name: `audit_append_per_s_${kind}`, value: Math.round(median(rates)), unit: 'appends/s' });
  } finally {
    for (const k of knexes) await k.destroy();
    await dbs.dropAll();
  }
}

export async function run(emit: Emit): Promise<void> {
  for (const kind of ['sqlite', 'postgres', 'mysql'] as const) await benchOne(kind, emit);
}
