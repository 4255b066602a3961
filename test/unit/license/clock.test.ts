import { expect } from 'chai';
import { CLOCK_TOLERANCE_MS, MARK_SLACK_MS, SKEW_SETTLE_MS, judgeClock, type ClockState } from '../../../lib/license/clock.js';
import { DAY_MS } from '../../../lib/time.js';

const T = Date.parse('2027-03-01T00:00:00Z');
const YEAR = 365 * DAY_MS;
/** a state whose last confirmed reading was wall T at monotonic 1000 */
const confirmedAt = (wall = T, mono = 1000): ClockState => ({ base: { wall, mono } });

interface Row {
  what: string;
  mark: number | undefined;
  state: ClockState;
  wall: number;
  mono: number;
  /** the time licenses are judged at */
  now: number;
  warnings: string[];
  raiseMarkTo: number | undefined;
}

const rows: Row[] = [
  { what: 'first reading on a new database: believed, marked', mark: undefined, state: {}, wall: T, mono: 5, now: T, warnings: [], raiseMarkTo: T },
  { what: 'first reading in a process, a little past the mark: believed, marked', mark: T - 2 * MARK_SLACK_MS, state: {}, wall: T, mono: 5, now: T, warnings: [], raiseMarkTo: T },
  { what: 'within the slack of the mark: believed, not marked again', mark: T - 1000, state: {}, wall: T, mono: 5, now: T, warnings: [], raiseMarkTo: undefined },
  { what: 'ten seconds later on both clocks: confirmed', mark: T, state: confirmedAt(), wall: T + 10_000, mono: 11_000, now: T + 10_000, warnings: [], raiseMarkTo: undefined },
  { what: 'an hour later on both clocks: confirmed and marked', mark: T, state: confirmedAt(), wall: T + 3_600_000, mono: 3_601_000, now: T + 3_600_000, warnings: [], raiseMarkTo: T + 3_600_000 },
  { what: 'a step within the skew tolerance (NTP): confirmed', mark: T, state: confirmedAt(), wall: T + 10_000 + 30_000, mono: 11_000, now: T + 40_000, warnings: [], raiseMarkTo: undefined },
  { what: 'ten years ahead after ten seconds: not believed, no mark', mark: T, state: confirmedAt(), wall: T + 10 * YEAR, mono: 11_000, now: T + 10_000, warnings: ['CLOCK_SKEW'], raiseMarkTo: undefined },
  { what: 'a year back after ten seconds: not believed, judged at the trusted time', mark: T, state: confirmedAt(), wall: T - YEAR, mono: 11_000, now: T + 10_000, warnings: ['CLOCK_SKEW'], raiseMarkTo: undefined },
  { what: 'two hours ahead after ten seconds: not believed', mark: T, state: confirmedAt(), wall: T + 7_200_000, mono: 11_000, now: T + 10_000, warnings: ['CLOCK_SKEW'], raiseMarkTo: undefined },
  {
    what: 'the jump still holds, but not for long enough: still not believed',
    mark: T, state: { base: { wall: T, mono: 1000 }, pending: { offset: T + 10 * YEAR - 11_000, since: 11_000 } },
    wall: T + 10 * YEAR + 60_000, mono: 71_000, now: T + 70_000, warnings: ['CLOCK_SKEW'], raiseMarkTo: undefined,
  },
  {
    what: 'a new offset that held for the settle time (a resumed machine): believed',
    mark: T, state: { base: { wall: T, mono: 1000 }, pending: { offset: T + 2 * DAY_MS - 11_000, since: 11_000 } },
    wall: T + 2 * DAY_MS + SKEW_SETTLE_MS, mono: 11_000 + SKEW_SETTLE_MS, now: T + 2 * DAY_MS + SKEW_SETTLE_MS, warnings: [], raiseMarkTo: T + 2 * DAY_MS + SKEW_SETTLE_MS,
  },
  { what: 'the clock right again after a jump: confirmed, nothing left', mark: T, state: { base: { wall: T, mono: 1000 }, pending: { offset: T + 10 * YEAR, since: 11_000 } }, wall: T + 20_000, mono: 21_000, now: T + 20_000, warnings: [], raiseMarkTo: undefined },
  { what: 'set back 3 days before this process started: judged at the mark', mark: T, state: {}, wall: T - 3 * DAY_MS, mono: 5, now: T, warnings: ['CLOCK_BACKWARDS'], raiseMarkTo: undefined },
  { what: 'behind the mark by less than the tolerance: believed', mark: T, state: {}, wall: T - CLOCK_TOLERANCE_MS + 1, mono: 5, now: T - CLOCK_TOLERANCE_MS + 1, warnings: [], raiseMarkTo: undefined },
  { what: 'behind the mark by just over the tolerance: judged at the mark', mark: T, state: {}, wall: T - CLOCK_TOLERANCE_MS - 1, mono: 5, now: T, warnings: ['CLOCK_BACKWARDS'], raiseMarkTo: undefined },
  {
    what: 'a process started with its clock set back keeps judging at the mark',
    mark: T, state: confirmedAt(T - 3 * DAY_MS, 1000), wall: T - 3 * DAY_MS + 10_000, mono: 11_000, now: T, warnings: ['CLOCK_BACKWARDS'], raiseMarkTo: undefined,
  },
];

describe('clock policy (pure): judgeClock(mark, state, reading)', () => {
  for (const row of rows) {
    it(row.what, () => {
      const judged = judgeClock(row.mark, row.state, { wall: row.wall, mono: row.mono });
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
    expect(back.state).to.deep.equal({ base: { wall: T + 20_000, mono: 21_000 } });
  });

  it('a trusted time behind the mark writes no mark and says why in a sentence', () => {
    const judged = judgeClock(T, {}, { wall: T - 3 * DAY_MS, mono: 5 });
    expect(judged.warnings[0]!.message).to.match(/behind the latest time this instance has seen/);
  });
});
