import { expect } from 'chai';
import { verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey } from '../../../lib/formats/index.js';
import { validateClaims, graceDays, type LicensePayload } from '../../../lib/keys/claims.js';
import type { PrivateJwk } from '../../../lib/keys/jwk.js';
import type { VendorKeyPair } from '../../../lib/formats/index.js';
import { joseSign, NOW, publicKeysOf, refused, SERVER_ID, validPayload, vendor } from './fixtures.js';

type Mutation = (p: Record<string, unknown>) => void;
const set =
  (claim: string, value: unknown): Mutation =>
  (p) => {
    p[claim] = value;
  };
const drop =
  (claim: string): Mutation =>
  (p) => {
    delete p[claim];
  };

/**
 * Each rule of lib/keys/claims.ts, broken alone in an otherwise valid payload that the vendor key
 * really signed (through jose: our own signer refuses to sign them). [what, mutation, claim named]
 */
const broken: [string, Mutation, string][] = [
  ['v missing', drop('v'), 'v'],
  ['v = 2', set('v', 2), 'v'],
  ['v = "1"', set('v', '1'), 'v'],
  ['lid missing', drop('lid'), 'lid'],
  ['lid not a UUID', set('lid', 'license-1'), 'lid'],
  ['lid a number', set('lid', 1), 'lid'],
  ['sub missing', drop('sub'), 'sub'],
  ['sub empty', set('sub', ''), 'sub'],
  ['sub only spaces', set('sub', '   '), 'sub'],
  ['sub a number', set('sub', 7), 'sub'],
  ['sub over 1000 characters', set('sub', 's'.repeat(1001)), 'sub'],
  ['licensee missing', drop('licensee'), 'licensee'],
  ['licensee empty', set('licensee', ''), 'licensee'],
  ['licensee an object', set('licensee', { name: 'Acme' }), 'licensee'],
  ['email not an address', set('email', 'acme'), 'email'],
  ['email with spaces', set('email', 'it @acme.example'), 'email'],
  ['email null', set('email', null), 'email'],
  ['type missing', drop('type'), 'type'],
  ['type unknown', set('type', 'perpetual'), 'type'],
  ['type in capitals', set('type', 'Production'), 'type'],
  ['serverId missing', drop('serverId'), 'serverId'],
  ['serverId a number', set('serverId', 12345678), 'serverId'],
  ['serverId in lower case', set('serverId', SERVER_ID.toLowerCase()), 'serverId'],
  ['serverId with a database part too short', set('serverId', '1A2B3C4-ABCDEFGHIJKLMNOPQRST'), 'serverId'],
  ['serverId with a dataset part too long', set('serverId', `${SERVER_ID}A`), 'serverId'],
  ['serverId with a non-base32 character (0, 1, 8, 9)', set('serverId', '1A2B3C4D-ABCDEFGHIJKLMNOPQRS1'), 'serverId'],
  ['serverId without the dash', set('serverId', SERVER_ID.replace('-', '')), 'serverId'],
  ['serverId with white space', set('serverId', ` ${SERVER_ID}`), 'serverId'],
  ['serverId "*" on a production key', set('serverId', '*'), 'serverId'],
  ['serverId "*" on a staging key', (p) => Object.assign(p, { serverId: '*', type: 'staging' }), 'serverId'],
  ['edition missing', drop('edition'), 'edition'],
  ['edition empty', set('edition', ''), 'edition'],
  ['features missing', drop('features'), 'features'],
  ['features a string', set('features', 'sso,audit'), 'features'],
  ['features with a number', set('features', ['sso', 3]), 'features'],
  ['features with an empty name', set('features', ['sso', '']), 'features'],
  ['limits missing', drop('limits'), 'limits'],
  ['limits null', set('limits', null), 'limits'],
  ['limits an array', set('limits', [1000]), 'limits'],
  ['limits a number', set('limits', 1000), 'limits'],
  ['an unknown limit', set('limits', { loc: 10, cpus: 4 }), 'limits.cpus'],
  ['limits.loc negative', set('limits', { loc: -1 }), 'limits.loc'],
  ['limits.loc fractional', set('limits', { loc: 1.5 }), 'limits.loc'],
  ['limits.loc a string', set('limits', { loc: '1000' }), 'limits.loc'],
  ['limits.loc null', set('limits', { loc: null }), 'limits.loc'],
  ['limits.users beyond safe integers', set('limits', { users: 2 ** 53 }), 'limits.users'],
  ['tags missing', drop('tags'), 'tags'],
  ['tags a string', set('tags', 'true-up'), 'tags'],
  ['tags with null', set('tags', [null]), 'tags'],
  ['iat missing', drop('iat'), 'iat'],
  ['iat in milliseconds with a fraction', set('iat', NOW + 0.5), 'iat'],
  ['iat negative', set('iat', -1), 'iat'],
  ['iat 0 (1970)', set('iat', 0), 'iat'],
  ['nbf missing', drop('nbf'), 'nbf'],
  ['nbf a date string', set('nbf', '2026-01-15'), 'nbf'],
  ['exp missing', drop('exp'), 'exp'],
  ['exp beyond safe integers', set('exp', 1e300), 'exp'],
  ['nbf later than exp', (p) => Object.assign(p, { nbf: NOW + 10, exp: NOW + 9 }), 'nbf'],
  ['grace negative', set('grace', -1), 'grace'],
  ['grace fractional', set('grace', 1.5), 'grace'],
  ['grace over ten years', set('grace', 3651), 'grace'],
  ['grace a string', set('grace', '14'), 'grace'],
];

describe('license key claims (KEY_CLAIMS_INVALID names the claim)', () => {
  let pair: VendorKeyPair;
  let publicKeys: ReturnType<typeof publicKeysOf>;
  before(async () => {
    pair = await vendor('claims');
    publicKeys = publicKeysOf(pair);
  });

  for (const [what, mutate, claim] of broken) {
    it(`refuses ${what} (claim ${claim})`, async () => {
      const payload = validPayload() as unknown as Record<string, unknown>;
      mutate(payload);
      const key = await joseSign(pair, payload);
      const err = await refused(verifyLicenseKey(key, { publicKeys }), 'KEY_CLAIMS_INVALID');
      expect(err.data.claim).to.equal(claim);
      expect(err.message).to.include(`"${claim}"`);
      // Our own signer refuses to issue it in the first place.
      await refused(signLicenseKey(payload as unknown as LicensePayload, pair.privateJwk as PrivateJwk), 'KEY_CLAIMS_INVALID');
    });
  }

  for (const [what, payload] of [
    ['an array', [validPayload()]],
    ['null', null],
    ['a string', 'licensee=Acme'],
    ['a number', 1],
  ] as [string, unknown][]) {
    it(`refuses a payload that is ${what} (claim payload)`, async () => {
      const key = await joseSign(pair, JSON.stringify(payload));
      const err = await refused(verifyLicenseKey(key, { publicKeys }), 'KEY_CLAIMS_INVALID');
      expect(err.data.claim).to.equal('payload');
    });
  }

  describe('accepts what the rules allow', () => {
    const allowed: [string, Mutation][] = [
      ['serverId "*" on a trial key', (p) => Object.assign(p, { serverId: '*', type: 'trial' })],
      ['a trial key bound to one server ID', set('type', 'trial')],
      ['a staging key', set('type', 'staging')],
      ['nbf equal to exp', (p) => Object.assign(p, { nbf: NOW, exp: NOW })],
      ['iat after nbf (issued later, backdated)', set('iat', NOW + 100)],
      ['no email', drop('email')],
      ['no grace (the default 14 days)', drop('grace')],
      ['grace 0', set('grace', 0)],
      ['grace 3650', set('grace', 3650)],
      ['no limits (unlimited)', set('limits', {})],
      ['a limit of 0', set('limits', { users: 0 })],
      ['no features and no tags', (p) => Object.assign(p, { features: [], tags: [] })],
      [
        'an upper-case UUID lid',
        (p) => {
          p.lid = String(p.lid).toUpperCase();
        },
      ],
      ['a claim this version does not know (forward compatible)', set('seats', 5)],
    ];
    for (const [what, mutate] of allowed) {
      it(what, async () => {
        const payload = validPayload() as unknown as Record<string, unknown>;
        mutate(payload);
        const key = await signLicenseKey(payload as unknown as LicensePayload, pair.privateJwk as PrivateJwk);
        const verified = await verifyLicenseKey(key, { publicKeys });
        expect(verified.payload).to.deep.equal(payload);
      });
    }
  });

  it('validateClaims returns the payload, and grace defaults to 14 days', () => {
    const payload = validPayload({ grace: undefined });
    delete (payload as Partial<LicensePayload>).grace;
    expect(validateClaims(payload)).to.equal(payload);
    expect(graceDays(payload)).to.equal(14);
    expect(graceDays({ grace: 0 })).to.equal(0);
  });
});
