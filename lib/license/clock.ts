/**
 * The clock policy (SPEC 5.4, 15.1, 21), as a pure function of (mark, state, reading):
 * - the *mark* is the latest confirmed time any node has seen, kept in the database;
 * - the *state* is what this process carries from its earlier readings;
 * - the *reading* is the wall clock (the injected `now`), the monotonic clock and, when the
 *   refresh read it, the database server's clock.
 *
 * Three witnesses, and no single one moves the shared mark:
 * - a wall-clock jump that the elapsed monotonic time does not confirm is not believed: licenses
 *   are judged at the trusted time (last confirmed wall time + monotonic time elapsed since);
 * - a wall clock more than 5 minutes away from the database server's clock (carried forward by
 *   monotonic time between readings) shows `CLOCK_SKEW`; licenses are judged at the earlier of
 *   the two (a clock far behind is caught by the mark), and the mark is not moved;
 * - the mark moves forward only by time a second witness confirms: the database server's clock
 *   agreeing with this node, or this node's monotonic time since it read the mark.
 * A clock behind the mark (carried forward by monotonic time) by more than a day is judged
 * against it with `CLOCK_BACKWARDS`. A host that injects `now` without `monotonic` is trusted as
 * is (`trustWall`): its `now` is believed and marked.
 */
import { DAY_MS } from '../time.js';
import type { Warning } from './types.js';

/** how far behind the mark the clock may be before expiry is judged against the mark */
export const CLOCK_TOLERANCE_MS = DAY_MS;
/** NOTE: a minute of slack keeps a cluster from writing the mark on every refresh. */
export const MARK_SLACK_MS = 60_000;
/** how far the wall clock may stray from the monotonic clock between two readings (NTP steps) */
export const SKEW_TOLERANCE_MS = 60_000;
/** how far a node's wall clock may be from the database server's clock (SPEC 21) */
export const SERVER_SKEW_MS = 5 * 60_000;
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
  /** the database server's clock (ms since the epoch), when it was read with this reading */
  server?: number;
}

export interface ClockState {
  /** the last reading the monotonic clock (or the database server) confirmed */
  base?: { wall: number; mono: number };
  /** a different offset (wall − mono) seen since `since` (mono), not believed yet */
  pending?: { offset: number; since: number };
  /** the latest mark read, carried forward by monotonic time: it is `carried + mono` now */
  carried?: number;
  /** the mark as last read: a lower one means `clock-reset` ran */
  markSeen?: number;
  /** the database server's clock at its last reading, minus the monotonic clock then */
  server?: number;
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

/** The wall clock as the monotonic clock sees it: [time, jump not believed (yet)]. */
function monotonicView(state: ClockState, reading: ClockReading): { trusted: number; base: ClockState['base']; pending?: ClockState['pending'] } {
  const base = state.base;
  if (!base || Math.abs(reading.wall - (base.wall + reading.mono - base.mono)) <= SKEW_TOLERANCE_MS) {
    return { trusted: reading.wall, base: { wall: reading.wall, mono: reading.mono } };
  }
  const offset = reading.wall - reading.mono;
  const pending = state.pending && Math.abs(state.pending.offset - offset) <= SKEW_TOLERANCE_MS ? state.pending : { offset, since: reading.mono };
  if (reading.mono - pending.since >= SKEW_SETTLE_MS) return { trusted: reading.wall, base: { wall: reading.wall, mono: reading.mono } };
  return { trusted: base.wall + (reading.mono - base.mono), base, pending };
}

/** Judges one reading. Pure: the caller keeps `state` and writes the mark. */
export function judgeClock(mark: number | undefined, state: ClockState, reading: ClockReading, trustWall = false): ClockJudgement {
  if (trustWall) {
    const raiseMarkTo = mark === undefined || reading.wall > mark + MARK_SLACK_MS ? reading.wall : undefined;
    if (mark !== undefined && reading.wall < mark - CLOCK_TOLERANCE_MS)
      return { now: new Date(mark), warnings: [backwards(reading.wall, mark)], state: {}, raiseMarkTo };
    return { now: new Date(reading.wall), warnings: [], state: {}, raiseMarkTo };
  }
  const warnings: Warning[] = [];
  const serverOffset = reading.server !== undefined ? reading.server - reading.mono : state.server;
  const server = serverOffset === undefined ? undefined : serverOffset + reading.mono;
  // the database server's clock is a second witness of the wall clock itself
  const agrees = server !== undefined && Math.abs(reading.wall - server) <= SERVER_SKEW_MS;
  const view = agrees ? { trusted: reading.wall, base: { wall: reading.wall, mono: reading.mono } } : monotonicView(state, reading);
  let trusted = view.trusted;
  if (server !== undefined && !agrees) {
    if (Math.abs(trusted - server) > SERVER_SKEW_MS) trusted = Math.min(trusted, server);
    warnings.push({
      code: 'CLOCK_SKEW',
      message: `The system clock (${iso(reading.wall)}) is more than 5 minutes away from the database server's clock (${iso(server)}); licenses are judged at ${iso(trusted)} and the shared clock mark is left alone until they agree.`,
    });
  } else if (view.pending) {
    warnings.push({
      code: 'CLOCK_SKEW',
      message: `The system clock (${iso(reading.wall)}) jumped away from the time elapsed since it was last confirmed (${iso(trusted)}); licenses are judged at ${iso(trusted)} until the clock is right again.`,
    });
  }
  // the mark, carried forward by the time this process has seen pass since it read it
  const reset = mark !== undefined && state.markSeen !== undefined && mark < state.markSeen;
  const carried = mark === undefined ? undefined : Math.max(reset || state.carried === undefined ? -Infinity : state.carried, mark - reading.mono);
  const floor = carried === undefined ? undefined : carried + reading.mono;
  const next: ClockState = { base: view.base, pending: view.pending, carried, markSeen: mark, server: serverOffset };
  let now = trusted;
  if (floor !== undefined && trusted < floor - CLOCK_TOLERANCE_MS) {
    warnings.push(backwards(trusted, floor));
    now = floor;
  }
  // the mark moves only by time a second witness confirms, and never while a clock disagrees
  let raiseMarkTo: number | undefined;
  if (!warnings.some((w) => w.code === 'CLOCK_SKEW')) {
    const confirmed = [floor, agrees ? now : undefined, mark === undefined && server === undefined ? trusted : undefined].filter(
      (t): t is number => t !== undefined,
    );
    // NOTE: never past the server's clock: a mark ahead of both clocks is no one's confirmed time
    const target = confirmed.length > 0 ? Math.min(Math.max(...confirmed), server ?? Infinity) : undefined;
    if (target !== undefined && (mark === undefined || target > mark + MARK_SLACK_MS)) raiseMarkTo = target;
  }
  return { now: new Date(now), warnings, state: next, raiseMarkTo };
}

function backwards(trusted: number, mark: number): Warning {
  return {
    code: 'CLOCK_BACKWARDS',
    message: `The system clock (${iso(trusted)}) is behind the latest time this instance has seen (${iso(mark)}); expiry is judged against the latest time.`,
  };
}

/** The last `license-manager clock-reset`, as stored. */
export interface ClockReset {
  /** when the mark was reset (ms) */
  at: number;
  actor: string;
  /** the mark before the reset (ms), or null on a new database */
  from: number | null;
}
