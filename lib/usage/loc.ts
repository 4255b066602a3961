import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import { retryTransaction, withRetry, type Dialect } from '../store/dialects/index.js';

export interface Analysis {
  project: string;
  branch: string;
  loc: number;
}

const NAME_MAX = 255;
/** Lines of code of one branch, at most (SPEC 15.6): more is a typo, and loses precision in sums. */
export const MAX_BRANCH_LOC = 1e12;
// NOTE: control characters (line breaks, NUL, escape sequences) in a name would forge lines in
// CSV exports, logs and emails, or end a C string early in a database driver.
const CONTROL = /\p{Cc}/u;

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > NAME_MAX) {
    throw new LicenseError('VALIDATION_FAILED', { detail: `The ${what} must be a name of 1 to ${NAME_MAX} characters.`, data: { field: what } });
  }
  if (CONTROL.test(value)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `The ${what} name must not contain control characters (line breaks, tabs, NUL, escapes).`,
      data: { field: what },
    });
  }
  return value;
}

export function checkAnalysisInput(a: Analysis): Analysis {
  if (a === null || typeof a !== 'object')
    throw new LicenseError('VALIDATION_FAILED', { detail: 'An analysis needs a project, a branch and its lines of code.' });
  const loc = a.loc;
  if (typeof loc !== 'number' || !Number.isSafeInteger(loc) || loc < 0 || loc > MAX_BRANCH_LOC) {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'The lines of code must be a whole number from 0 to 10^12.', data: { field: 'loc' } });
  }
  return { project: checkName(a.project, 'project'), branch: checkName(a.branch, 'branch'), loc };
}

/** Consumption (SPEC 6): one SUM over the per-project maximum, an index of one row per project. */
export async function consumption(knex: Knex): Promise<number> {
  const row = await knex('license_loc_projects').sum({ total: 'loc' }).first();
  return Number(row?.total ?? 0);
}

/**
 * Consumption and the number of projects in one pass over the same index: what each refresh
 * keeps in the snapshot, so the page and `api/loc-usage` never count 200,000 rows per request.
 */
export async function totals(knex: Knex): Promise<{ used: number; projects: number }> {
  const row = await knex('license_loc_projects').sum({ total: 'loc' }).count({ n: '*' }).first();
  return { used: Number(row?.total ?? 0), projects: Number(row?.n ?? 0) };
}

/** Re-derives one project's largest branch from its branches (an index seek on project, loc). */
async function refreshProject(trx: Knex.Transaction, project: string): Promise<void> {
  const top = await trx('license_loc_branches').where({ project }).orderBy('loc', 'desc').orderBy('branch', 'asc').first('branch', 'loc', 'analyzed_at');
  if (!top) {
    await trx('license_loc_projects').where({ project }).delete();
    return;
  }
  await trx('license_loc_projects').insert({ project, branch: top.branch, loc: top.loc, analyzed_at: top.analyzed_at }).onConflict('project').merge();
}

/**
 * Serialises writers of one project, so its maximum is never computed from a stale read.
 * NOTE: the project row is created by its own statement before the transaction: an INSERT that
 * meets a duplicate takes a shared lock on MariaDB, and upgrading it to FOR UPDATE deadlocks
 * with a concurrent writer. Locking an existing row never needs that upgrade.
 */
async function ensureProjectRow(knex: Knex, dialect: Dialect, project: string, now: Date): Promise<void> {
  await withRetry(dialect, () =>
    knex('license_loc_projects')
      .insert({ project, branch: '', loc: 0, analyzed_at: now.getTime() })
      .onConflict('project')
      .ignore()
      .then(() => undefined),
  );
}

/**
 * Locks the project's row; false when there is none. Branches are only ever written while their
 * project's row is locked, so a project without a row has no branches to remove.
 */
async function lockProject(trx: Knex.Transaction, dialect: Dialect, project: string): Promise<boolean> {
  const rows = await dialect.forUpdate(trx('license_loc_projects').where({ project }).select('project'));
  return (rows as unknown[]).length > 0;
}

const ROW_GONE = Symbol('the project row was removed before it could be locked');

export async function recordAnalysis(knex: Knex, dialect: Dialect, analysis: Analysis, now: Date): Promise<void> {
  const a = checkAnalysisInput(analysis);
  // NOTE: a removal may delete the row between ensureProjectRow and the lock; writing without the
  // lock would then race with another writer of the project, so create the row again and retry.
  for (let attempt = 1; ; attempt++) {
    await ensureProjectRow(knex, dialect, a.project, now);
    const done = await retryTransaction(knex, dialect, async (trx) => {
      if (!(await lockProject(trx, dialect, a.project))) return ROW_GONE;
      await trx('license_loc_branches')
        .insert({ project: a.project, branch: a.branch, loc: a.loc, analyzed_at: now.getTime() })
        .onConflict(['project', 'branch'])
        .merge(['loc', 'analyzed_at']);
      await refreshProject(trx, a.project);
      return true;
    });
    if (done !== ROW_GONE) return;
    if (attempt >= 20) throw new Error(`The project row kept being removed while an analysis was stored (${attempt} attempts).`);
  }
}

export async function removeProject(knex: Knex, dialect: Dialect, project: string): Promise<void> {
  checkName(project, 'project');
  await retryTransaction(knex, dialect, async (trx) => {
    // same lock order as recordAnalysis: the project row first, then its branches
    if (!(await lockProject(trx, dialect, project))) return;
    await trx('license_loc_branches').where({ project }).delete();
    await trx('license_loc_projects').where({ project }).delete();
  });
}

export async function removeBranch(knex: Knex, dialect: Dialect, project: string, branch: string): Promise<void> {
  checkName(project, 'project');
  checkName(branch, 'branch');
  await retryTransaction(knex, dialect, async (trx) => {
    if (!(await lockProject(trx, dialect, project))) return;
    await trx('license_loc_branches').where({ project, branch }).delete();
    await refreshProject(trx, project);
  });
}

/** Consumption if this analysis were stored: the project's new maximum replaces its old one. */
export async function consumptionAfter(knex: Knex, analysis: Analysis): Promise<{ before: number; after: number }> {
  const a = checkAnalysisInput(analysis);
  const [before, current, others] = await Promise.all([
    consumption(knex),
    knex('license_loc_projects').where({ project: a.project }).first('loc'),
    knex('license_loc_branches').where({ project: a.project }).whereNot({ branch: a.branch }).max({ loc: 'loc' }).first(),
  ]);
  const newMax = Math.max(a.loc, Number(others?.loc ?? 0));
  return { before, after: before - Number(current?.loc ?? 0) + newMax };
}
