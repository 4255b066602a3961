import { expect } from 'chai';
import { buildUsageReport, checkPeriod, monthlyPeaks, monthsBetween, type DaySnapshot } from '../../../lib/usage-report/build.js';

const day = (d: string, loc: number, users: number, limitLoc: number | null = 1000, limitUsers: number | null = 10): DaySnapshot => ({
  day: d,
  loc,
  users,
  limitLoc,
  limitUsers,
});

describe('usage report payload (SPEC 18.1)', () => {
  it('counts months across a year end', () => {
    expect(monthsBetween('2025-11', '2026-02')).to.deep.equal(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-03')).to.deep.equal(['2026-03']);
  });

  it("takes each month's peaks and the highest limit in force that month", () => {
    const days = [
      day('2026-01-01', 500, 3),
      day('2026-01-15', 1200, 12),
      day('2026-01-31', 900, 4),
      day('2026-02-01', 100, 1, null, null),
      day('2026-02-10', 2000, 2, 1500, 20),
      day('2026-02-11', 50, 1, 1000, 10),
    ];
    expect(monthlyPeaks(days, ['2026-01', '2026-02', '2026-03'])).to.deep.equal([
      { month: '2026-01', peakLoc: 1200, peakUsers: 12, limitLoc: 1000, limitUsers: 10 },
      { month: '2026-02', peakLoc: 2000, peakUsers: 2, limitLoc: 1500, limitUsers: 20 },
      { month: '2026-03', peakLoc: 0, peakUsers: 0, limitLoc: null, limitUsers: null },
    ]);
  });

  it('keeps only the days of the period and carries the chain fields', () => {
    const payload = buildUsageReport({
      serverId: 'S',
      license: { lid: 'L', sub: 'SUB', licensee: 'Acme' },
      period: { from: '2026-02', to: '2026-02' },
      generatedAt: new Date('2026-03-01T00:00:00Z'),
      seq: 2,
      prev: 'a'.repeat(64),
      days: [day('2026-01-31', 1, 1), day('2026-02-01', 2, 2), day('2026-03-01', 3, 3)],
    });
    expect(payload).to.deep.include({
      v: 1,
      serverId: 'S',
      lid: 'L',
      sub: 'SUB',
      licensee: 'Acme',
      seq: 2,
      prev: 'a'.repeat(64),
      generatedAt: Date.UTC(2026, 2, 1) / 1000,
    });
    expect(payload.daily).to.deep.equal([{ day: '2026-02-01', loc: 2, users: 2 }]);
  });

  it('refuses a period that is not YYYY-MM, runs backwards or is longer than 36 months', () => {
    for (const [from, to] of [
      ['2026-1', '2026-02'],
      ['2026-13', '2026-12'],
      ['2026-03', '2026-02'],
      ['2020-01', '2026-01'],
    ] as const) {
      expect(() => checkPeriod(from, to), `${from}..${to}`)
        .to.throw()
        .with.property('code', 'VALIDATION_FAILED');
    }
    expect(checkPeriod('2026-01', '2026-02')).to.deep.equal({ from: '2026-01', to: '2026-02' });
  });
});
