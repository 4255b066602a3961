/**
 * SPEC 13, lines of code: consumption over 200,000 projects × 5 branches on each database.
 * - `loc_consumption_ms_<db>`: our query (one SUM over the per-project maxima, on its index).
 * - `loc_naive_ratio_<db>`: reading every branch row into JavaScript and reducing there, divided
 *   by ours, measured in the same run on the same data.
 * The data is generated inside the database (bench/projects.ts).
 */
import knexFactory, { type Knex } from 'knex';
import { DbFactory, unavailable } from '../test/helpers/dbs.js';
import { migrateLatest } from '../lib/store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { consumption } from '../lib/usage/loc.js';
import type { DbKind } from '../lib/store/connect.js';
import type { Emit } from './run.js';
import { median } from './stats.js';
import { loadProjects } from './projects.js';

export const order = 20;

const PROJECTS = 200_000;
const BRANCHES = 5;
const log = (text: string) => process.stderr.write(`  ${text}\n`);

async function naive(knex: Knex): Promise<number> {
  const rows = (await knex('license_loc_branches').select('project', 'loc')) as Array<{ project: string; loc: number | string }>;
  const max = new Map<string, number>();
  for (const r of rows) {
    const loc = Number(r.loc);
    if (loc > (max.get(r.project) ?? -1)) max.set(r.project, loc);
  }
  let total = 0;
  for (const v of max.values()) total += v;
  return total;
}

async function benchOne(kind: DbKind, emit: Emit): Promise<void> {
  const reason = await unavailable(kind);
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`${kind} is not reachable: ${reason}`);
    log(`######## SKIP loc benchmark on ${kind}: ${reason}`);
    return;
  }
  const dbs = new DbFactory(kind);
  const db = await dbs.fresh('bench');
  const knex = knexFactory({ ...db.config, pool: { ...db.config.pool, min: 1, max: 2 } });
  try {
    await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
    const t0 = performance.now();
    await loadProjects(knex, kind, PROJECTS, BRANCHES);
    log(`${kind}: loaded ${PROJECTS * BRANCHES} branch rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const expected = await naive(knex);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 3; i++) await consumption(knex);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const total = await consumption(knex);
        ours.push(performance.now() - t);
        if (total !== expected) throw new Error(`${kind}: consumption ${total} differs from the naive sum ${expected}`);
      }
      const t = performance.now();
      await naive(knex);
      theirs.push(performance.now() - t);
    }
    const oursMs = median(ours);
    emit({ name: `loc_consumption_ms_${kind}`, value: Math.round(oursMs * 100) / 100, unit: 'ms' });
    emit({ name: `loc_naive_ratio_${kind}`, value: Math.round((median(theirs) / oursMs) * 10) / 10, unit: 'x' });
  } finally {
    await knex.destroy();
    await dbs.dropAll();
  }
}

export async function run(emit: Emit): Promise<void> {
  for (const kind of ['sqlite', 'postgres', 'mysql'] as const) await benchOne(kind, emit);
}
