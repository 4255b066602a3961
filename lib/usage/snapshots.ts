import type { Knex } from 'knex';
import type { DaySnapshot } from '../usage-report/build.js';

/**
 * The one owner of `license_loc_snapshots` (SPEC 6, 16, 18.1): one row per UTC day with the usage
 * and the limits in force that day. The job writes it; the page's charts and the usage report read it.
 */
const SNAPSHOTS = 'license_loc_snapshots';

/** pg returns BIGINT as strings */
const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** What a day's snapshot keeps. */
export interface DayFigures {
  loc: number;
  users: number;
  limitLoc: number | null;
  limitUsers: number | null;
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export interface SnapshotStore {
  /** today's snapshot: the last write of a UTC day wins */
  record(at: Date, figures: DayFigures): Promise<void>;
  locHistory(since: string): Promise<{ day: string; used: number }[]>;
  usersHistory(since: string): Promise<{ day: string; users: number }[]>;
  /** every day of the months `from`..`to` (`YYYY-MM`), oldest first */
  months(from: string, to: string): Promise<DaySnapshot[]>;
  /** the first day with a snapshot, or undefined */
  firstDay(): Promise<string | undefined>;
}

export function createSnapshotStore(knex: Knex): SnapshotStore {
  return {
    async record(at, f) {
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

    async months(from, to) {
      const rows: Record<string, unknown>[] = await knex(SNAPSHOTS)
        .select('day', 'used', 'users', 'limit_loc', 'limit_users')
        .where('day', '>=', `${from}-01`)
        .andWhere('day', '<=', `${to}-31`)
        .orderBy('day', 'asc');
      return rows.map((r) => ({
        day: r.day as string,
        loc: num(r.used),
        users: num(r.users),
        limitLoc: numOrNull(r.limit_loc),
        limitUsers: numOrNull(r.limit_users),
      }));
    },

    async firstDay() {
      const first = await knex(SNAPSHOTS).min({ day: 'day' }).first();
      return (first?.day as string | null | undefined) ?? undefined;
    },
  };
}
