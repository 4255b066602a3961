/**
 * The job's own records: its runs, the daily LOC snapshots and its small state (LOC arming).
 */
import type { Knex } from 'knex';
import type { LocArm } from '../notify/types.js';
import type { JobRunResult } from './port.js';
import type { LicenseStatus } from '../license/types.js';
import { createSnapshotStore, type DayFigures } from '../usage/snapshots.js';

export { utcDay, type DayFigures } from '../usage/snapshots.js';

const RUNS = 'license_job_runs';
const STATE = 'license_job_state';
const LOC_ARM = 'loc_threshold_arm';

/** pg returns BIGINT as strings */
const num = (v: unknown): number => Number(v ?? 0);

export function dayFigures(status: LicenseStatus): DayFigures {
  return { loc: status.loc.used, users: status.users.used, limitLoc: status.loc.limit, limitUsers: status.users.limit };
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
  const snapshots = createSnapshotStore(knex);
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

    snapshotDay: (at, f) => snapshots.record(at, f),
    usersHistory: (since) => snapshots.usersHistory(since),
    locHistory: (since) => snapshots.locHistory(since),

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
