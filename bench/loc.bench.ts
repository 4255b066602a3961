/**
 * SPEC 13, lines of code: consumption over 200,000 projects × 5 branches on each database.
 * - `loc_consumption_ms_<db>`: our query (one SUM over the per-project maxima, on its index).
 * - `loc_naive_ratio_<db>`: reading every branch row into JavaScript and reducing there, divided
 *   by ours, measured in the same run on the same data.
 * The data is generated inside the database by one recursive CTE, then statistics are refreshed.
 */
import knexFactory, { type Knex } from 'knex';
import { DbFactory, unavailable } from '../test/helpers/dbs.js';
import { migrateLatest } from '../lib/store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { consumption } from '../lib/usage/loc.js';
import type { DbKind } from '../lib/store/connect.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

export const order = 20;

const PROJECTS = 200_000;
const BRANCHES = 5;
const log = (text: string) => process.stderr.write(`  ${text}\n`);
async function load(knex: Knex, kind: DbKind): Promise<void> {
  if (kind === 'mysql') {
    await knex.raw('set session cte_max_recursion_depth = 1000000').catch(() => undefined); // MySQL
    await knex.raw('set session max_recursive_iterations = 1000000').catch(() => undefined); // MariaDB
  }
  const numbers = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${PROJECTS})`;
  const branchLoc = '((n.i * 7919 + b.j * 104729) % 50000) + 100';
  const branches = `select 1 as j union all select 2 union all select 3 union all select 4 union all select 5`;
  await knex.raw(`insert into license_loc_branches (project, branch, loc, analyzed_at)
    ${numbers} select concat('project-', n.i), concat('branch-', b.j), ${branchLoc}, 0 from n cross join (${branches}) b`);
  await knex.raw(`insert into license_loc_projects (project, branch, loc, analyzed_at)
    select project, min(branch), max(loc), 0 from license_loc_branches group by project`);
  if (kind === 'postgres') await knex.raw('vacuum analyze');
  else if (kind === 'mysql') await knex.raw('analyze table license_loc_branches, license_loc_projects');
  else await knex.raw('analyze');
}

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
    await load(knex, kind);
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
