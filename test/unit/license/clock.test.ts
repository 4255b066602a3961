import { expect } from 'chai';
import { CLOCK_TOLERANCE_MS, MARK_SLACK_MS, SERVER_SKEW_MS, SKEW_SETTLE_MS, judgeClock, type ClockState } from '../../../lib/license/clock.js';
import { DAY_MS } from '../../../lib/time.js';

const T = Date.parse('2027-03-01T00:00:00Z');
const YEAR = 365 * DAY_MS;
const HOUR = 3_600_000;
/** a state whose last confirmed reading was wall T at monotonic 1000, having read the mark `mark` then */
const confirmedAt = (wall = T, mono = 1000, mark = T): ClockState => ({ base: { wall, mono }, carried: mark - mono, markSeen: mark });

interface Row {
  what: string;
  mark: number | undefined;
  state: ClockState;
  wall: number;
  mono: number;
  /** the database server's clock read with this reading */
  server?: number;
  /** the host injected `now` alone */
  trustWall?: boolean;
  /** the time licenses are judged at */
  now: number;
  warnings: string[];
  raiseMarkTo: number | undefined;
}

const rows: Row[] = [
  // no database server clock (SQLite): only the monotonic clock witnesses
  { what: 'first reading on a new database: believed, marked', mark: undefined, state: {}, wall: T, mono: 5, now: T, warnings: [], raiseMarkTo: T },
  {
    what: 'first reading in a process, past the mark: believed, but nothing confirms it yet',
    mark: T - 2 * MARK_SLACK_MS,
    state: {},
    wall: T,
    mono: 5,
    now: T,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'ten seconds later on both clocks: confirmed',
    mark: T,
    state: confirmedAt(),
    wall: T + 10_000,
    mono: 11_000,
    now: T + 10_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'an hour later on both clocks: the mark moves by the hour the monotonic clock saw',
    mark: T,
    state: confirmedAt(),
    wall: T + HOUR,
    mono: HOUR + 1000,
    now: T + HOUR,
    warnings: [],
    raiseMarkTo: T + HOUR,
  },
  {
    what: 'the mark moves by monotonic time only, even when the wall clock is further on',
    mark: T - DAY_MS / 2,
    state: confirmedAt(T, 1000, T - DAY_MS / 2),
    wall: T + HOUR,
    mono: HOUR + 1000,
    now: T + HOUR,
    warnings: [],
    raiseMarkTo: T - DAY_MS / 2 + HOUR,
  },
  {
    what: 'a step within the skew tolerance (NTP): confirmed',
    mark: T,
    state: confirmedAt(),
    wall: T + 10_000 + 30_000,
    mono: 11_000,
    now: T + 40_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'ten years ahead after ten seconds: not believed, no mark',
    mark: T,
    state: confirmedAt(),
    wall: T + 10 * YEAR,
    mono: 11_000,
    now: T + 10_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'a year back after ten seconds: not believed, judged at the trusted time',
    mark: T,
    state: confirmedAt(),
    wall: T - YEAR,
    mono: 11_000,
    now: T + 10_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'two hours ahead after ten seconds: not believed',
    mark: T,
    state: confirmedAt(),
    wall: T + 7_200_000,
    mono: 11_000,
    now: T + 10_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'the jump still holds, but not for long enough: still not believed',
    mark: T,
    state: { ...confirmedAt(), pending: { offset: T + 10 * YEAR - 11_000, since: 11_000 } },
    wall: T + 10 * YEAR + 60_000,
    mono: 71_000,
    now: T + 70_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'a new offset that held for the settle time (a resumed machine): believed, the mark moves by monotonic time only',
    mark: T,
    state: { ...confirmedAt(), pending: { offset: T + 2 * DAY_MS - 11_000, since: 11_000 } },
    wall: T + 2 * DAY_MS + SKEW_SETTLE_MS,
    mono: 11_000 + SKEW_SETTLE_MS,
    now: T + 2 * DAY_MS + SKEW_SETTLE_MS,
    warnings: [],
    raiseMarkTo: T + 10_000 + SKEW_SETTLE_MS,
  },
  {
    what: 'a year ahead for over an hour: believed here, but the mark still moves by monotonic time only',
    mark: T,
    state: { ...confirmedAt(), pending: { offset: T + YEAR - 11_000, since: 11_000 } },
    wall: T + YEAR + SKEW_SETTLE_MS,
    mono: 11_000 + SKEW_SETTLE_MS,
    now: T + YEAR + SKEW_SETTLE_MS,
    warnings: [],
    raiseMarkTo: T + 10_000 + SKEW_SETTLE_MS,
  },
  {
    what: 'the clock right again after a jump: confirmed, nothing left',
    mark: T,
    state: { ...confirmedAt(), pending: { offset: T + 10 * YEAR, since: 11_000 } },
    wall: T + 20_000,
    mono: 21_000,
    now: T + 20_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'set back 3 days before this process started: judged at the mark',
    mark: T,
    state: {},
    wall: T - 3 * DAY_MS,
    mono: 5,
    now: T,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: undefined,
  },
  {
    what: 'behind the mark by less than the tolerance: believed',
    mark: T,
    state: {},
    wall: T - CLOCK_TOLERANCE_MS + 1,
    mono: 5,
    now: T - CLOCK_TOLERANCE_MS + 1,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'behind the mark by just over the tolerance: judged at the mark',
    mark: T,
    state: {},
    wall: T - CLOCK_TOLERANCE_MS - 1,
    mono: 5,
    now: T,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: undefined,
  },
  {
    what: 'a process started with its clock set back judges at the mark carried forward by the time it has run',
    mark: T,
    state: confirmedAt(T - 3 * DAY_MS, 1000, T),
    wall: T - 3 * DAY_MS + 10_000,
    mono: 11_000,
    now: T + 10_000,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: undefined,
  },
  {
    what: 'set back for days on a running node: judged, and marked, at the mark carried forward',
    mark: T,
    state: confirmedAt(T - 3 * DAY_MS, 1000, T),
    wall: T - 3 * DAY_MS + 2 * DAY_MS,
    mono: 2 * DAY_MS + 1000,
    now: T + 2 * DAY_MS,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: T + 2 * DAY_MS,
  },
  {
    what: 'after clock-reset lowered the mark, the carried mark starts again from it',
    mark: T - YEAR,
    state: confirmedAt(T - YEAR, 1000, T),
    wall: T - YEAR + 10_000,
    mono: 11_000,
    now: T - YEAR + 10_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  // the database server's clock as the second witness (PostgreSQL, MariaDB)
  { what: 'a new database, the server agrees: marked', mark: undefined, state: {}, wall: T, mono: 5, server: T + 2000, now: T, warnings: [], raiseMarkTo: T },
  {
    what: 'booted 400 days ahead of the server on a new database: CLOCK_SKEW, judged at the server clock, no mark',
    mark: undefined,
    state: {},
    wall: T + 400 * DAY_MS,
    mono: 5,
    server: T,
    now: T,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'booted 400 days ahead of the server and of the mark: CLOCK_SKEW, no mark',
    mark: T - HOUR,
    state: {},
    wall: T + 400 * DAY_MS,
    mono: 5,
    server: T,
    now: T,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'first reading in a process past the mark, the server agrees: marked at the earlier of the two',
    mark: T - DAY_MS,
    state: {},
    wall: T,
    mono: 5,
    server: T - 4 * 60_000,
    now: T,
    warnings: [],
    raiseMarkTo: T - 4 * 60_000,
  },
  {
    what: 'the mark carried ahead of the server clock (a monotonic clock run fast) is not written past it',
    mark: T,
    state: confirmedAt(T, 1000, T),
    wall: T + 60_000,
    mono: 2 * HOUR,
    server: T + 60_000,
    now: T + 60_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'six minutes from the server: CLOCK_SKEW, judged at the earlier clock, no mark',
    mark: T - HOUR,
    state: {},
    wall: T + 6 * 60_000,
    mono: 5,
    server: T,
    now: T,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'a year ahead for over an hour on a running node: still CLOCK_SKEW against the server, no mark',
    mark: T,
    state: { ...confirmedAt(), server: T - 1000, pending: { offset: T + YEAR - 11_000, since: 11_000 } },
    wall: T + YEAR + SKEW_SETTLE_MS,
    mono: 11_000 + SKEW_SETTLE_MS,
    server: T + 10_000 + SKEW_SETTLE_MS,
    now: T + 10_000 + SKEW_SETTLE_MS,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'between refreshes the server clock is carried forward by monotonic time',
    mark: T,
    state: { ...confirmedAt(), server: T - 1000 },
    wall: T + 400 * DAY_MS,
    mono: 61_000,
    now: T + 60_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'the wall clock right again after a long jump: the server confirms it at once',
    mark: T,
    state: { base: { wall: T + YEAR, mono: 1000 }, carried: T - 1000, markSeen: T, server: T - 1000 },
    wall: T + 30_000,
    mono: 31_000,
    server: T + 30_000,
    now: T + 30_000,
    warnings: [],
    raiseMarkTo: undefined,
  },
  {
    what: 'the server clock far ahead of a right node clock: judged at the node clock',
    mark: T,
    state: confirmedAt(),
    wall: T + 10_000,
    mono: 11_000,
    server: T + 400 * DAY_MS,
    now: T + 10_000,
    warnings: ['CLOCK_SKEW'],
    raiseMarkTo: undefined,
  },
  {
    what: 'node and server both set back a year: CLOCK_BACKWARDS, judged at the mark',
    mark: T,
    state: {},
    wall: T - YEAR,
    mono: 5,
    server: T - YEAR,
    now: T,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: undefined,
  },
  // a host that injects `now` alone
  {
    what: 'host clock: a jump ahead is believed and marked',
    mark: T,
    state: {},
    wall: T + 10 * YEAR,
    mono: 5,
    trustWall: true,
    now: T + 10 * YEAR,
    warnings: [],
    raiseMarkTo: T + 10 * YEAR,
  },
  {
    what: 'host clock behind the mark: judged at the mark',
    mark: T,
    state: {},
    wall: T - 3 * DAY_MS,
    mono: 5,
    trustWall: true,
    now: T,
    warnings: ['CLOCK_BACKWARDS'],
    raiseMarkTo: undefined,
  },
];

describe('clock policy (pure): judgeClock(mark, state, reading)', () => {
  for (const row of rows) {
    it(row.what, () => {
      const judged = judgeClock(row.mark, row.state, { wall: row.wall, mono: row.mono, server: row.server }, row.trustWall);
      expect(judged.now.getTime(), 'judged at').to.equal(row.now);
      expect(judged.warnings.map((w) => w.code)).to.deep.equal(row.warnings);
      expect(judged.raiseMarkTo, 'mark').to.equal(row.raiseMarkTo);
    });
  }

  it('keeps the last confirmed reading while a jump lasts, and moves it on once confirmed', () => {
    const jumped = judgeClock(T, confirmedAt(), { wall: T + 10 * YEAR, mono: 11_000 });
    expect(jumped.state.base).to.deep.equal({ wall: T, mono: 1000 });
    expect(jumped.state.pending).to.deep.equal({ offset: T + 10 * YEAR - 11_000, since: 11_000 });
    const back = judgeClock(T, jumped.state, { wall: T + 20_000, mono: 21_000 });
    expect(back.state.base).to.deep.equal({ wall: T + 20_000, mono: 21_000 });
    expect(back.state.pending).to.equal(undefined);
  });

  it('one node 400 days ahead never moves a mark that a healthy node then reads as CLOCK_BACKWARDS', () => {
    let bad: ClockState = {};
    let mark: number | undefined;
    for (let minute = 0; minute <= 120; minute++) {
      const mono = 5 + minute * 60_000;
      const judged = judgeClock(mark, bad, { wall: T + 400 * DAY_MS + minute * 60_000, mono, server: T + minute * 60_000 });
      bad = judged.state;
      if (judged.raiseMarkTo !== undefined) mark = Math.max(mark ?? 0, judged.raiseMarkTo);
      expect(judged.now.getTime()).to.equal(T + minute * 60_000);
    }
    expect(mark).to.equal(undefined);
    const healthy = judgeClock(mark, {}, { wall: T + 121 * 60_000, mono: 7, server: T + 121 * 60_000 });
    expect(healthy.warnings).to.deep.equal([]);
  });

  it('the server skew and a trusted time behind the mark say why in a sentence', () => {
    expect(judgeClock(T, {}, { wall: T - 3 * DAY_MS, mono: 5 }).warnings[0]!.message).to.match(/behind the latest time this instance has seen/);
    expect(judgeClock(T, {}, { wall: T + YEAR, mono: 5, server: T }).warnings[0]!.message).to.match(
      /more than 5 minutes away from the database server's clock/,
    );
    expect(SERVER_SKEW_MS).to.equal(5 * 60_000);
  });
});
