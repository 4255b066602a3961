/**
 * The job's own records: its runs, the daily LOC snapshots and its small state (LOC arming).
 */
import type { Knex } from 'knex';
import type { LocArm } from '../notify/types.js';
import type { JobRunResult } from './port.js';
import type { LicenseStatus } from '../license/types.js';

const RUNS = 'license_job_runs';
const SNAPSHOTS = 'license_loc_snapshots';
const STATE = 'license_job_state';
const LOC_ARM = 'loc_threshold_arm';

/** pg returns BIGINT as strings */
const num = (v: unknown): number => Number(v ?? 0);

/** What a day's snapshot keeps (SPEC 6, 16, 18.1): usage and the limits in force that day. */
export interface DayFigures {
  loc: number;
  users: number;
  limitLoc: number | null;
  limitUsers: number | null;
}

export function dayFigures(status: LicenseStatus): DayFigures {
  return { loc: status.loc.used, users: status.users.used, limitLoc: status.loc.limit, limitUsers: status.users.limit };
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

interface RunRow {
  id: number | string;
  started_at: number | string;
  finished_at: number | string;
  duration_ms: number | string;
  ran: number | string | boolean;
  sent: number | string;
  failed: number | string;
  pending: number | string;
  outcome: string;
  error: string | null;
}

function toResult(r: RunRow): JobRunResult {
  return {
    id: num(r.id),
    startedAt: new Date(num(r.started_at)).toISOString(),
    finishedAt: new Date(num(r.finished_at)).toISOString(),
    durationMs: num(r.duration_ms),
    ran: num(r.ran) === 1 || r.ran === true,
    sent: num(r.sent),
    failed: num(r.failed),
    pending: num(r.pending),
    outcome: r.outcome as JobRunResult['outcome'],
    ...(r.error ? { error: r.error } : {}),
  };
}

export interface JobStore {
  recordRun(node: string, run: Omit<JobRunResult, 'id'>): Promise<number>;
  runs(limit: number, options?: { ranOnly?: boolean }): Promise<JobRunResult[]>;
  /** when the last run that did its work ended (outcome ok or partial), in ms; null when none did */
  lastSuccessAt(): Promise<number | null>;
  /** today's snapshot of LOC and users with the limits in force: one row per UTC day, the last run of the day wins */
  snapshotDay(at: Date, figures: DayFigures): Promise<void>;
  locHistory(since: string): Promise<{ day: string; used: number }[]>;
  usersHistory(since: string): Promise<{ day: string; users: number }[]>;
  locArm(): Promise<LocArm>;
  setLocArm(arm: LocArm): Promise<void>;
}

export function createJobStore(knex: Knex): JobStore {
  return {
    async recordRun(node, run) {
      await knex(RUNS).insert({
        node,
        started_at: Date.parse(run.startedAt),
        finished_at: Date.parse(run.finishedAt),
        duration_ms: run.durationMs,
        ran: run.ran ? 1 : 0,
        sent: run.sent,
        failed: run.failed,
        pending: run.pending,
        outcome: run.outcome,
        error: run.error ?? null,
      });
      // NOTE: read back by node and start rather than from the insert's result, which each
      // dialect reports differently (returning vs insertId).
      const row = await knex(RUNS)
        .select('id')
        .where({ node, started_at: Date.parse(run.startedAt) })
        .orderBy('id', 'desc')
        .first();
      return num(row?.id);
    },

    async runs(limit, options = {}) {
      const q = knex(RUNS).select('*').orderBy('id', 'desc').limit(limit);
      if (options.ranOnly) q.where({ ran: 1 });
      const rows: RunRow[] = await q;
      return rows.map(toResult);
    },

    async lastSuccessAt() {
      const row = await knex(RUNS).where({ ran: 1 }).whereIn('outcome', ['ok', 'partial']).max({ at: 'finished_at' }).first();
      return row?.at === null || row?.at === undefined ? null : num(row.at);
    },

    async snapshotDay(at, f) {
      const row = { used: f.loc, users: f.users, limit_loc: f.limitLoc, limit_users: f.limitUsers, taken_at: at.getTime() };
      await knex(SNAPSHOTS)
        .insert({ day: utcDay(at), ...row })
        .onConflict('day')
        .merge(Object.keys(row));
    },

    async usersHistory(since) {
      const rows: { day: string; users: number | string | null }[] = await knex(SNAPSHOTS)
        .select('day', 'users')
        .where('day', '>=', since)
        .orderBy('day', 'asc');
      return rows.map((r) => ({ day: r.day, users: num(r.users) }));
    },

    async locHistory(since) {
      const rows: { day: string; used: number | string }[] = await knex(SNAPSHOTS).select('day', 'used').where('day', '>=', since).orderBy('day', 'asc');
      return rows.map((r) => ({ day: r.day, used: num(r.used) }));
    },

    async locArm() {
      const row = await knex(STATE).select('value').where({ name: LOC_ARM }).first();
      return row ? (JSON.parse(row.value) as LocArm) : { epoch: 0, armedFor: null };
    },

    async setLocArm(arm) {
      await knex(STATE)
        .insert({ name: LOC_ARM, value: JSON.stringify(arm) })
        .onConflict('name')
        .merge(['value']);
    },
  };
}
