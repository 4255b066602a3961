// Pure tests of what is due (no database, no mail): lib/notify/due.ts.
import { expect } from 'chai';
import fc from 'fast-check';
import { dueNotifications, reminderDates, subMonthsUtc } from '../../../lib/notify/due.js';
import type { LocArm } from '../../../lib/notify/types.js';
import { createWorld } from '../../helpers/job-deps.js';

const DAY = 86_400_000;

describe('due notifications (pure)', () => {
  it('counts calendar months back in UTC, clamping to the end of shorter months', () => {
    const back = (iso: string, n: number) => subMonthsUtc(new Date(iso), n).toISOString();
    expect(back('2027-03-31T00:00:00.000Z', 1)).to.equal('2027-02-28T00:00:00.000Z');
    expect(back('2028-03-31T00:00:00.000Z', 1)).to.equal('2028-02-29T00:00:00.000Z');
    expect(back('2027-03-31T00:00:00.000Z', 2)).to.equal('2027-01-31T00:00:00.000Z');
    expect(back('2027-01-15T13:14:15.000Z', 2)).to.equal('2026-11-15T13:14:15.000Z');
    expect(back('2027-05-31T00:00:00.000Z', 1)).to.equal('2027-04-30T00:00:00.000Z');
    expect(reminderDates(new Date('2027-07-01T00:00:00Z'))).to.deep.equal({
      twoMonths: new Date('2027-05-01T00:00:00Z'),
      oneMonth: new Date('2027-06-01T00:00:00Z'),
    });
  });

  it('counts back whole calendar months for any date: same time of day, the same day or the last day of a shorter month', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.integer({ min: 0, max: 36 }), (ms, n) => {
        const date = new Date(ms);
        const back = subMonthsUtc(date, n);
        const monthIndex = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();
        expect(monthIndex(date) - monthIndex(back)).to.equal(n);
        expect(back.getTime() % DAY).to.equal(date.getTime() % DAY);
        const daysInBackMonth = new Date(Date.UTC(back.getUTCFullYear(), back.getUTCMonth() + 1, 0)).getUTCDate();
        expect(back.getUTCDate()).to.equal(Math.min(date.getUTCDate(), daysInBackMonth));
      }),
      { numRuns: 2000 },
    );
  });

  it('over daily runs from the day a key is set until exp: the one-month reminder exactly once, the two-month one once if the key was set before the one-month date, else never', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2026, 0, 1) / 1000, max: Date.UTC(2030, 0, 1) / 1000 }).map((s) => s * 1000), // exp is in whole seconds
        fc.integer({ min: 1, max: 200 * DAY }),
        fc.integer({ min: 0, max: DAY - 1 }),
        (expMs, lead, runOffset) => {
          const exp = new Date(expMs);
          const setAt = new Date(expMs - lead);
          const world = createWorld({ now: setAt });
          world.setLicense({ exp, setAt });
          const history = new Set<string>();
          let locArm: LocArm = { epoch: 0, armedFor: null };
          const sent: string[] = [];
          // the first run when the key is set, then one a day at a random time of day
          for (let t = setAt.getTime(); t < expMs; t = t === setAt.getTime() ? setAt.getTime() - (setAt.getTime() % DAY) + DAY + runOffset : t + DAY) {
            world.setNow(new Date(t));
            const r = dueNotifications({ status: world.status(), currentKey: world.currentKey(), history, locArm, now: new Date(t) });
            locArm = r.locArm;
            for (const n of r.due) {
              history.add(n.dedupKey);
              sent.push(n.kind);
            }
          }
          const { oneMonth } = reminderDates(exp);
          const expected = setAt < oneMonth ? ['expiry-2m', 'expiry-1m'] : ['expiry-1m'];
          expect(sent).to.deep.equal(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is due nothing for a license without a current key, and nothing already in the history', () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z' });
    const empty = dueNotifications({ status: world.status(), currentKey: null, history: new Set(), locArm: { epoch: 0, armedFor: null }, now: world.now() });
    expect(empty.due).to.deep.equal([]);

    const { lid } = world.setLicense({ exp: '2027-03-31T00:00:00Z' })!;
    const first = dueNotifications({
      status: world.status(),
      currentKey: world.currentKey(),
      history: new Set(),
      locArm: { epoch: 0, armedFor: null },
      now: world.now(),
    });
    expect(first.due.map((n) => n.dedupKey)).to.deep.equal([`grace:${lid}`]);
    const again = dueNotifications({
      status: world.status(),
      currentKey: world.currentKey(),
      history: new Set([`grace:${lid}`]),
      locArm: first.locArm,
      now: world.now(),
    });
    expect(again.due).to.deep.equal([]);
  });

  it('names the license, limit, threshold and crossing in the LOC threshold key', () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', loc: { used: 95, threshold: 90 } });
    const { lid } = world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 100 })!;
    const r = dueNotifications({
      status: world.status(),
      currentKey: world.currentKey(),
      history: new Set(),
      locArm: { epoch: 4, armedFor: `${lid}:100:90` },
      now: world.now(),
    });
    expect(r.due.map((n) => n.dedupKey)).to.deep.equal([`loc-threshold:${lid}:100:90:4`]);
    expect(r.due[0]!.facts.loc).to.deep.equal({ used: 95, limit: 100, threshold: 90, percent: 95 });
  });
});
