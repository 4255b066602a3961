/**
 * Per-project usage (SPEC 6 `api/loc-usage`, SPEC 15.5): bounded reads only. A request reads one
 * page of the largest projects (keyset paging on the `(loc desc, project)` index) and the count;
 * the CSV export walks every project in chunks, never all rows at once.
 */
import type { Knex } from 'knex';
import type { ProjectUsage } from '../license/types.js';

const T = 'license_loc_projects';

/** Where a page ends: the last project shown, in the order largest first, then by name. */
export interface ProjectKey {
  loc: number;
  project: string;
}

export interface ProjectPage {
  projects: ProjectUsage[];
  /** the key to pass as `after` for the next page; null on the last page */
  next: ProjectKey | null;
}

/** One page of per-project usage, largest first, and how many projects there are in all. */
export interface UsagePage extends ProjectPage {
  total: number;
}

interface Row {
  project: string;
  branch: string;
  loc: number | string;
  analyzed_at: number | string;
}

function toUsage(r: Row, locLimit: number | null): ProjectUsage {
  const loc = Number(r.loc);
  return {
    project: r.project,
    branch: r.branch,
    loc,
    share: locLimit ? Math.round((loc / locLimit) * 10000) / 100 : null,
    lastAnalysisAt: new Date(Number(r.analyzed_at)).toISOString(),
  };
}

/**
 * One page of projects, largest first (ties by name). NOTE: `loc <= L` bounds the index scan and
 * the OR only filters the projects that tie with the last one shown, so a deep page costs as
 * little as the first.
 */
export async function projectPage(knex: Knex, options: { limit: number; after?: ProjectKey | null; locLimit: number | null }): Promise<ProjectPage> {
  const { limit, after, locLimit } = options;
  const q = knex(T)
    .select('project', 'branch', 'loc', 'analyzed_at')
    .orderBy('loc', 'desc')
    .orderBy('project', 'asc')
    .limit(limit + 1);
  if (after) {
    q.where('loc', '<=', after.loc).andWhere((w) => w.where('loc', '<', after.loc).orWhere('project', '>', after.project));
  }
  const rows: Row[] = await q;
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    projects: shown.map((r) => toUsage(r, locLimit)),
    next: rows.length > limit && last ? { loc: Number(last.loc), project: last.project } : null,
  };
}

/** How many projects have been analysed. */
export async function projectCount(knex: Knex): Promise<number> {
  const row = await knex(T).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/**
 * Every project, largest first, in chunks of `size`. NOTE: better-sqlite3 runs each query
 * synchronously on the event loop, so between chunks this yields to it (setImmediate): other
 * requests are served while a large export is written.
 */
export async function* projectChunks(knex: Knex, locLimit: number | null, size = 500): AsyncGenerator<ProjectUsage[]> {
  let after: ProjectKey | null = null;
  do {
    const page: ProjectPage = await projectPage(knex, { limit: size, after, locLimit });
    if (page.projects.length > 0) yield page.projects;
    after = page.next;
    if (after) await new Promise<void>((resolve) => setImmediate(resolve));
  } while (after);
}
