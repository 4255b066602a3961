/** The pure policies of SPEC 16: the date convention, what a key changes, and the key choices. */
import { expect } from 'chai';
import { daysLeftThrough, daysLeftText, daysLeftUntil, formatDay, graceSentence, keyDates, lastValidDay } from '../../../lib/license/dates.js';
import { compareLicenses } from '../../../lib/license/changes.js';
import { selectCurrent, type RingKey } from '../../../lib/license/key-ring.js';
import type { LicensePayload } from '../../../lib/keys/claims.js';

const SERVER = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
const s = (iso: string) => Date.parse(iso) / 1000;
const payload = (over: Partial<LicensePayload> = {}): LicensePayload => ({
  v: 1,
  lid: '00000000-0000-4000-8000-000000000001',
  sub: 's',
  licensee: 'Acme',
  serverId: SERVER,
  type: 'production',
  edition: 'enterprise',
  features: ['sso', 'audit-log'],
  limits: { loc: 1000 },
  tags: [],
  iat: s('2026-01-01T00:00:00Z'),
  nbf: s('2026-01-01T00:00:00Z'),
  exp: s('2028-01-01T00:00:00Z'),
  ...over,
});

describe('dates (SPEC 16): valid until the last day, days left through it', () => {
  it('reads exp at midnight as the day before, and an exp inside a day as that day', () => {
    expect(lastValidDay(s('2029-01-01T00:00:00Z'))).to.equal('2028-12-31');
    expect(lastValidDay(s('2029-01-01T00:00:01Z'))).to.equal('2029-01-01');
    expect(formatDay('2028-12-31')).to.equal('31 December 2028');
  });

  it('counts 1 day left on the last day itself, 0 the day after', () => {
    expect(daysLeftThrough('2028-12-31', new Date('2028-12-31T23:59:59Z'))).to.equal(1);
    expect(daysLeftThrough('2028-12-31', new Date('2028-12-31T00:00:00Z'))).to.equal(1);
    expect(daysLeftThrough('2028-12-31', new Date('2028-12-30T23:59:59Z'))).to.equal(2);
    expect(daysLeftThrough('2028-12-31', new Date('2029-01-01T00:00:00Z'))).to.equal(0);
    expect([2, 1, 0, -2].map(daysLeftText)).to.deep.equal(['2 days left', '1 day left (the last day)', 'ended yesterday', 'ended 3 days ago']);
  });

  it('gives a 10-day emergency key 10 days left on the day it is issued, not 11 (issue 23.6), and a midnight key the same count as before', () => {
    const iat = Date.parse('2026-01-26T10:00:00Z') / 1000;
    const emergency = { nbf: iat, exp: iat + 864_000, grace: 0 };
    expect(keyDates(emergency, new Date(iat * 1000)).daysLeft).to.equal(10);
    expect(daysLeftText(keyDates(emergency, new Date('2026-01-26T23:00:00Z')).daysLeft)).to.equal('10 days left');
    expect(keyDates(emergency, new Date('2026-02-05T09:00:00Z')).daysLeft).to.equal(1); // its last day: ends at 10:00
    expect(keyDates(emergency, new Date('2026-02-05T11:00:00Z')).daysLeft).to.equal(0);
    expect(keyDates(emergency, new Date(iat * 1000)).validUntil).to.equal('2026-02-05');
    const exp = Date.parse('2029-01-01T00:00:00Z') / 1000; // valid through 31 December 2028
    for (const now of [
      '2028-12-31T23:59:59Z',
      '2028-12-31T00:00:00Z',
      '2028-12-30T23:59:59Z',
      '2029-01-01T00:00:00Z',
      '2029-01-03T12:00:00Z',
      '2028-06-01T08:00:00Z',
    ]) {
      expect(daysLeftUntil(exp, new Date(now)), now).to.equal(daysLeftThrough('2028-12-31', new Date(now)));
    }
  });

  it('says the grace period through its last day, with the days left', () => {
    const d = keyDates(payload({ exp: s('2029-01-01T00:00:00Z'), grace: 14 }), new Date('2029-01-03T10:00:00Z'));
    expect(d).to.include({ validUntil: '2028-12-31', graceUntil: '2029-01-14', graceDays: 14, graceDaysLeft: 12 });
    expect(graceSentence(d)).to.equal('commercial features stay on through 14 January 2029, 12 days');
  });
});

describe('changes (SPEC 16): what a key takes away or adds against the current license', () => {
  it('flags features lost, a lower limit and an earlier end as losses, in words', () => {
    const c = compareLicenses(payload(), payload({ features: ['sso', 'sbom'], limits: { loc: 500, users: 10 }, exp: s('2027-07-01T00:00:00Z') }));
    expect(c).to.deep.include({ first: false, featuresLost: ['audit-log'], featuresGained: ['sbom'], losses: true });
    expect(c.limits).to.deep.equal([
      { resource: 'loc', from: 1000, to: 500, change: 'lower' },
      { resource: 'users', from: null, to: 10, change: 'lower' }, // unlimited → 10
    ]);
    expect(c.end).to.deep.equal({ from: '2027-12-31', to: '2027-06-30', change: 'earlier' });
    expect(c.warnings).to.deep.equal([
      'Features turned off: audit-log.',
      'Lower limit of lines of code: 500 instead of 1,000.',
      'Lower limit of users: 10 instead of unlimited.',
      'Ends earlier: valid until 30 June 2027 instead of 31 December 2027.',
    ]);
  });

  it('is no loss when the key only adds, and "first" when nothing is current', () => {
    expect(compareLicenses(payload(), payload({ features: ['sso', 'audit-log', 'x'], limits: {}, exp: s('2029-01-01T00:00:00Z') }))).to.include({
      losses: false,
    });
    expect(compareLicenses(null, payload())).to.include({ first: true, losses: false });
  });
});

describe('key choices (SPEC 16): Make current and Retire in the pure selection', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const key = (id: number, lid: string): RingKey => ({ id, lid, compact: 'x', payload: payload({ lid }), setBy: 't', setAt: now, source: 'database' });
  const ring = [key(1, 'old'), key(2, 'new')];
  const pick = (choices: Parameters<typeof selectCurrent>[4]) => selectCurrent(ring, SERVER, now, [], choices)?.key.lid;

  it('takes the newest usable key; a key made current ranks first until a newer key is stored', () => {
    expect(pick(undefined)).to.equal('new');
    expect(pick({ retired: new Set(), chosen: { lid: 'old', afterId: 2 } })).to.equal('old');
    expect(pick({ retired: new Set(), chosen: { lid: 'old', afterId: 1 } })).to.equal('new'); // key 2 set after the choice
  });

  it('never chooses a retired key, even as the fallback', () => {
    expect(pick({ retired: new Set(['new']), chosen: null })).to.equal('old');
    expect(pick({ retired: new Set(['new', 'old']), chosen: null })).to.equal(undefined);
  });
});
