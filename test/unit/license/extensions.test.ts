/**
 * The self-service extension's pure core (SPEC 22), table-driven: when it is offered, why not,
 * and where each use moves the end of grace. No database.
 */
import { expect } from 'chai';
import { validateClaims, type LicensePayload } from '../../../lib/keys/claims.js';
import { LicenseError } from '../../../lib/errors.js';
import { extendedGraceEnd, extensionOffer, type ExtensionUse } from '../../../lib/license/extensions.js';

const s = (iso: string) => Date.parse(iso) / 1000;
// valid until 31 May 2027, 14 days of grace: the grace ends 15 June 2027 00:00 UTC
const key = (ext?: LicensePayload['ext'], grace?: number) =>
  ({
    v: 1,
    lid: '00000000-0000-4000-8000-000000000001',
    sub: 's',
    licensee: 'Acme',
    serverId: '1A2B3C4D-ABCDEFGHIJKLMNOPQRST',
    type: 'production',
    edition: 'enterprise',
    features: [],
    limits: {},
    tags: [],
    iat: s('2026-06-01T00:00:00Z'),
    nbf: s('2026-06-01T00:00:00Z'),
    exp: s('2027-06-01T00:00:00Z'),
    ...(grace === undefined ? {} : { grace }),
    ...(ext ? { ext } : {}),
  }) as LicensePayload;
const use = (n: number, after: string): ExtensionUse => ({
  lid: key().lid,
  serverId: key().serverId,
  use: n,
  days: 7,
  at: 0,
  actor: 'bob',
  graceEndBefore: 0,
  graceEndAfter: s(after),
});

describe('self-service extension: the offer (pure)', () => {
  const cases: { name: string; payload: LicensePayload; uses: ExtensionUse[]; now: string; refusal: string | null; newEnd?: string }[] = [
    { name: 'no ext claim', payload: key(), uses: [], now: '2027-06-03T00:00:00Z', refusal: 'no_ext' },
    { name: 'one second before grace', payload: key({ days: 7, uses: 1 }), uses: [], now: '2027-05-31T23:59:59Z', refusal: 'too_early' },
    {
      name: 'the first second of grace: N days after the end of grace',
      payload: key({ days: 7, uses: 1 }),
      uses: [],
      now: '2027-06-01T00:00:00Z',
      refusal: null,
      newEnd: '2027-06-22T00:00:00Z',
    },
    {
      name: 'after the end of grace: N days from the moment, to the next midnight',
      payload: key({ days: 7, uses: 1 }),
      uses: [],
      now: '2027-06-16T10:30:00Z',
      refusal: null,
      newEnd: '2027-06-24T00:00:00Z',
    },
    {
      name: 'the last second of the 3-day window',
      payload: key({ days: 7, uses: 1 }),
      uses: [],
      now: '2027-06-17T23:59:59Z',
      refusal: null,
      newEnd: '2027-06-25T00:00:00Z',
    },
    { name: 'the window closed', payload: key({ days: 7, uses: 1 }), uses: [], now: '2027-06-18T00:00:00Z', refusal: 'too_late' },
    { name: 'every use spent', payload: key({ days: 7, uses: 1 }), uses: [use(1, '2027-06-22T00:00:00Z')], now: '2027-06-03T00:00:00Z', refusal: 'spent' },
    {
      name: 'a second use adds to the extended end',
      payload: key({ days: 7, uses: 2 }),
      uses: [use(1, '2027-06-22T00:00:00Z')],
      now: '2027-06-20T00:00:00Z',
      refusal: null,
      newEnd: '2027-06-29T00:00:00Z',
    },
    {
      name: 'the window follows the extended end',
      payload: key({ days: 7, uses: 2 }),
      uses: [use(1, '2027-06-22T00:00:00Z')],
      now: '2027-06-24T12:00:00Z',
      refusal: null,
      newEnd: '2027-07-02T00:00:00Z',
    },
    {
      name: 'no grace (an emergency key): the window is the 3 days after exp',
      payload: key({ days: 10, uses: 1 }, 0),
      uses: [],
      now: '2027-06-02T00:00:00Z',
      refusal: null,
      newEnd: '2027-06-12T00:00:00Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const offer = extensionOffer(c.payload, c.uses, new Date(c.now));
      expect(offer.refusal).to.equal(c.refusal);
      expect(offer.available).to.equal(c.refusal === null);
      if (c.refusal) expect(offer.reason).to.be.a('string').and.match(/\.$/);
      expect(offer.newEnd === null ? null : new Date(offer.newEnd * 1000).toISOString()).to.equal(c.newEnd ? new Date(c.newEnd).toISOString() : null);
    });
  }

  it("the end of grace is the latest of the key's own and its uses", () => {
    expect(extendedGraceEnd(key(), [])).to.equal(s('2027-06-15T00:00:00Z'));
    expect(extendedGraceEnd(key(), [use(1, '2027-06-22T00:00:00Z'), use(2, '2027-06-29T00:00:00Z')])).to.equal(s('2027-06-29T00:00:00Z'));
  });
});

describe('self-service extension: the ext claim (pure)', () => {
  const refusedClaim = (ext: unknown): string | null => {
    try {
      validateClaims({ ...key(), ext });
      return null;
    } catch (err) {
      expect(err).to.be.instanceOf(LicenseError);
      expect((err as LicenseError).code).to.equal('KEY_CLAIMS_INVALID');
      return String((err as LicenseError).data.claim);
    }
  };
  for (const [ext, claim] of [
    [{ days: 1, uses: 1 }, null],
    [{ days: 30, uses: 3 }, null],
    [{ days: 0, uses: 1 }, 'ext.days'],
    [{ days: 31, uses: 1 }, 'ext.days'],
    [{ days: 1.5, uses: 1 }, 'ext.days'],
    [{ uses: 1 }, 'ext.days'],
    [{ days: 7, uses: 0 }, 'ext.uses'],
    [{ days: 7, uses: 4 }, 'ext.uses'],
    [{ days: 7, uses: '2' }, 'ext.uses'],
    [null, 'ext'],
    [[7, 2], 'ext'],
    ['7d', 'ext'],
  ] as const) {
    it(`${JSON.stringify(ext)}: ${claim ?? 'accepted'}`, () => {
      expect(refusedClaim(ext)).to.equal(claim);
    });
  }
  it('a key without it keeps working', () => {
    expect(validateClaims(key())).to.not.have.property('ext');
  });
});
