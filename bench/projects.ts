/**
 * Benchmark data: `projects` × `branches` LOC rows generated inside the database by one recursive
 * CTE (no round trip per row), the per-project maxima derived from them, statistics refreshed.
 */
import type { Knex } from 'knex';
import type { DbKind } from '../lib/store/connect.js';

export async function loadProjects(knex: Knex, kind: DbKind, projects: number, branches: number): Promise<void> {
  if (kind === 'mysql') {
    await knex.raw('set session cte_max_recursion_depth = 1000000').catch(() => undefined); // MySQL
    await knex.raw('set session max_recursive_iterations = 1000000').catch(() => undefined); // MariaDB
  }
  const numbers = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${projects})`;
  const branchLoc = '((n.i * 7919 + b.j * 104729) % 50000) + 100';
  const list = Array.from({ length: branches }, (_, j) => `select ${j + 1} as j`).join(' union all ');
  await knex.raw(`insert into license_loc_branches (project, branch, loc, analyzed_at)
    ${numbers} select concat('project-', n.i), concat('branch-', b.j), ${branchLoc}, 0 from n cross join (${list}) b`);
  await knex.raw(`insert into license_loc_projects (project, branch, loc, analyzed_at)
    select project, min(branch), max(loc), 0 from license_loc_branches group by project`);
  if (kind === 'postgres') await knex.raw('vacuum analyze');
  else if (kind === 'mysql') await knex.raw('analyze table license_loc_branches, license_loc_projects');
  else await knex.raw('analyze');
}
