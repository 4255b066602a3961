import { expect } from 'chai';
import { bannersOf } from '../../../lib/web/banners.js';
import { historyChart } from '../../../lib/web/chart.js';
import { endingNow } from '../../../lib/web/page-model.js';
import type { LicenseStatus } from '../../../lib/license/types.js';
import type { LicensePayload } from '../../../lib/keys/claims.js';

const payload: LicensePayload = {
  v: 1,
  lid: '6f1c1c1e-8a7b-4b1e-9a51-0a1f7f3e1a11',
  sub: 's',
  licensee: 'Acme',
  serverId: 'AAAAAAAA-ABCDEFGHIJKLMNOPQRST',
  type: 'production',
  edition: 'enterprise',
  features: [],
  limits: { loc: 100 },
  tags: [],
  iat: 0,
  nbf: 0,
  exp: 1_900_000_000,
};

function status(over: Partial<LicenseStatus>): LicenseStatus {
  return {
    serverId: 'BBBBBBBB-ABCDEFGHIJKLMNOPQRST',
    state: 'active',
    license: payload,
    loc: { used: 10, limit: 100, percent: 10, threshold: 90, softCap: false },
    users: { used: 0, limit: null, reportedAt: null },
    warnings: [],
    details: {
      daysLeft: 100,
      validUntil: null,
      graceUntil: null,
      graceDaysLeft: null,
      graceEndsAt: null,
      expiresAt: null,
      staging: false,
      evaluatedAt: '2026-11-23T00:00:00Z',
      bridgeUntil: null,
    },
    ...over,
  };
}

describe('web: page banners and chart (pure)', () => {
  it('wrong_server names both server IDs', () => {
    const [b] = bannersOf(status({ state: 'wrong_server' }));
    expect(b).to.include({ code: 'wrong_server', tone: 'danger' });
    expect(b!.text).to.contain('AAAAAAAA-ABCDEFGHIJKLMNOPQRST').and.contain('BBBBBBBB-ABCDEFGHIJKLMNOPQRST');
  });

  it('shows every status() warning once: those a banner already says are not repeated', () => {
    const banners = bannersOf(
      status({
        state: 'expiring',
        warnings: [
          { code: 'LICENSE_EXPIRING', message: 'expiring (manager words)' },
          { code: 'SERVER_ID_CHANGED', message: 'The server ID changed from A to B.' },
          { code: 'SOMETHING_NEW', message: 'A warning the page does not know yet.' },
        ],
      }),
    );
    expect(banners.map((b) => b.code)).to.deep.equal(['expiring', 'SERVER_ID_CHANGED', 'SOMETHING_NEW']);
    expect(banners[1]!.title).to.equal('Server ID changed');
    expect(banners[2]!.text).to.equal('A warning the page does not know yet.');
  });

  it('puts STAGING first', () => {
    const banners = bannersOf(status({ state: 'grace', details: { ...status({}).details, staging: true, graceEndsAt: '2030-01-01T00:00:00Z' } }));
    expect(banners.map((b) => b.code)).to.deep.equal(['staging', 'grace']);
  });

  it('ends the history with the live consumption of today', () => {
    const s = status({ loc: { used: 70, limit: 100, percent: 70, threshold: 90, softCap: false } });
    expect(
      endingNow(
        [
          { day: '2026-11-21', used: 10 },
          { day: '2026-11-22', used: 20 },
          { day: '2026-11-23', used: 30 },
        ],
        s,
      ),
    ).to.deep.equal([
      { day: '2026-11-21', used: 10 },
      { day: '2026-11-22', used: 20 },
      { day: '2026-11-23', used: 70 },
    ]);
    expect(endingNow([], s)).to.deep.equal([{ day: '2026-11-23', used: 70 }]);
  });

  it('draws the 90-day history inside its box, with the limit and threshold lines', () => {
    const day0 = Date.parse('2026-08-26T00:00:00Z');
    const points = Array.from({ length: 90 }, (_, i) => ({ day: new Date(day0 + i * 86_400_000).toISOString().slice(0, 10), used: i * 10 }));
    const chart = historyChart(points, 1000, 50)!;
    const ys = [...chart.line.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys).to.have.length(90);
    for (const y of ys) expect(y).to.be.within(0, chart.plot.bottom - chart.plot.top);
    expect(chart.points.map((p) => p.xPct)).to.include.members([0, 100]);
    expect(chart.limitY).to.be.below(chart.thresholdY!);
    expect(historyChart([], 1000, 50)).to.equal(null);
    expect(historyChart([{ day: '2026-09-01', used: 5 }], null, 90)!.points).to.have.length(1);
  });

  it('places a day by its date over the last 90 days: a gap stays a gap, and older days are left out', () => {
    const chart = historyChart(
      [
        { day: '2026-05-01', used: 1 },
        { day: '2026-11-21', used: 2 },
        { day: '2026-11-23', used: 3 },
      ],
      10,
      90,
    )!;
    expect(chart.points.map((p) => p.day)).to.deep.equal(['2026-11-21', '2026-11-23']);
    const [a, b] = chart.points;
    expect(b!.xPct).to.equal(100);
    expect(Math.round(((b!.xPct - a!.xPct) * 89) / 100)).to.equal(2);
    expect(chart.xLabels.map((x) => x.label)).to.deep.equal(['26 Aug', '25 Sept', '25 Oct', '23 Nov']);
  });
});

describe('web: views are found from lib/ and from dist/lib/', () => {
  it('walks up to the folder holding package.json', async () => {
    const { packageRoot } = await import('../../../lib/package-root.js');
    const { pathToFileURL, fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
    expect(packageRoot(pathToFileURL(`${root}/lib/web/render.js`).href)).to.equal(root);
    expect(packageRoot(pathToFileURL(`${root}/dist/lib/web/render.js`).href)).to.equal(root);
  });
});
