/**
 * The clock policy (SPEC 5.4, 15.1), as a pure function of (mark, state, reading):
 * - the *mark* is the latest confirmed time any node has seen, kept in the database;
 * - the *state* is this process's last reading confirmed by the monotonic clock;
 * - the *reading* is the wall clock (the injected `now`) and the monotonic clock, together.
 *
 * A wall-clock jump (forward or back) that the elapsed monotonic time does not confirm is not
 * believed: licenses are judged at the trusted time (last confirmed wall time + monotonic time
 * elapsed since), no mark is written from it, and `CLOCK_SKEW` says so while it lasts. A clock
 * behind the mark by more than a day (set back, also across restarts) is judged against the
 * mark with `CLOCK_BACKWARDS`.
 */
import { DAY_MS } from '../time.js';
import type { Warning } from './types.js';

/** how far behind the mark the clock may be before expiry is judged against the mark */
export const CLOCK_TOLERANCE_MS = DAY_MS;
/** NOTE: a minute of slack keeps a cluster from writing the mark on every refresh. */
export const MARK_SLACK_MS = 60_000;
/** how far the wall clock may stray from the monotonic clock between two readings (NTP steps) */
export const SKEW_TOLERANCE_MS = 60_000;
/**
 * NOTE: a new wall/monotonic offset that holds this long is believed: the monotonic clock does
 * not count a suspended machine, so after a resume only the wall clock is right.
 */
export const SKEW_SETTLE_MS = 60 * 60_000;

export interface ClockReading {
  /** the wall clock, in ms since the epoch */
  wall: number;
  /** the monotonic clock, in ms (any origin) */
  mono: number;
}

export interface ClockState {
  /** the last reading the monotonic clock confirmed */
  base?: ClockReading;
  /** a different offset (wall − mono) seen since `since` (mono), not believed yet */
  pending?: { offset: number; since: number };
}

export interface ClockJudgement {
  /** the time licenses are judged at */
  now: Date;
  warnings: Warning[];
  /** the state to keep for the next reading */
  state: ClockState;
  /** raise the stored mark to this (ms), or undefined to leave it */
  raiseMarkTo?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Judges one reading. Pure: the caller keeps `state` and writes the mark. */
export function judgeClock(mark: number | undefined, state: ClockState, reading: ClockReading): ClockJudgement {
  const warnings: Warning[] = [];
  const offset = reading.wall - reading.mono;
  let trusted = reading.wall;
  let next: ClockState = { base: reading };
  const base = state.base;
  if (base && Math.abs(reading.wall - (base.wall + reading.mono - base.mono)) > SKEW_TOLERANCE_MS) {
    const pending = state.pending && Math.abs(state.pending.offset - offset) <= SKEW_TOLERANCE_MS ? state.pending : { offset, since: reading.mono };
    if (reading.mono - pending.since < SKEW_SETTLE_MS) {
      trusted = base.wall + (reading.mono - base.mono);
      next = { base, pending };
      warnings.push({
        code: 'CLOCK_SKEW',
        message: `The system clock (${iso(reading.wall)}) jumped away from the time elapsed since it was last confirmed (${iso(trusted)}); licenses are judged at ${iso(trusted)} until the clock is right again.`,
      });
    }
  }
  const confirmed = warnings.length === 0;
  const raiseMarkTo = confirmed && (mark === undefined || trusted > mark + MARK_SLACK_MS) ? trusted : undefined;
  if (mark !== undefined && trusted < mark - CLOCK_TOLERANCE_MS) {
    warnings.push({
      code: 'CLOCK_BACKWARDS',
      message: `The system clock (${iso(trusted)}) is behind the latest time this instance has seen (${iso(mark)}); expiry is judged against the latest time.`,
    });
    return { now: new Date(mark), warnings, state: next, raiseMarkTo };
  }
  return { now: new Date(trusted), warnings, state: next, raiseMarkTo };
}

/** The last `license-manager clock-reset`, as stored. */
export interface ClockReset {
  /** when the mark was reset (ms) */
  at: number;
  actor: string;
  /** the mark before the reset (ms), or null on a new database */
  from: number | null;
}
