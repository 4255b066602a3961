/**
 * The clock policy (SPEC 5.4), as a pure function of (mark, reading): the mark is the latest
 * time this instance has seen, kept in the database; the reading is the clock now.
 */
import { DAY_MS } from '../time.js';
import type { Warning } from './types.js';

/** how far behind the mark the clock may be before expiry is judged against the mark */
export const CLOCK_TOLERANCE_MS = DAY_MS;
/** NOTE: a minute of slack keeps a cluster from writing the mark on every refresh. */
export const MARK_SLACK_MS = 60_000;

export interface ClockReading {
  /** the wall clock (the injected `now`), in ms */
  wall: number;
}

export interface ClockJudgement {
  /** the time licenses are judged at */
  now: Date;
  warnings: Warning[];
  /** raise the stored mark to this (ms), or undefined to leave it */
  raiseMarkTo?: number;
}

/** Judges one reading against the stored mark (undefined on a new database). Pure. */
export function judgeClock(mark: number | undefined, reading: ClockReading): ClockJudgement {
  const raiseMarkTo = mark === undefined || reading.wall > mark + MARK_SLACK_MS ? reading.wall : undefined;
  if (mark === undefined || reading.wall >= mark - CLOCK_TOLERANCE_MS) return { now: new Date(reading.wall), warnings: [], raiseMarkTo };
  return {
    now: new Date(mark),
    warnings: [{
      code: 'CLOCK_BACKWARDS',
      message: `The system clock (${new Date(reading.wall).toISOString()}) is behind the latest time this instance has seen (${new Date(mark).toISOString()}); expiry is judged against the latest time.`,
    }],
    raiseMarkTo,
  };
}
