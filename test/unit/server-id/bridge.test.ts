import { expect } from 'chai';
import type { LicensePayload } from '../../../lib/keys/claims.js';
import type { Bridge, RingKey } from '../../../lib/license/key-ring.js';
import { BRIDGE_DAYS, decideBridge } from '../../../lib/server-id/bridge.js';
import { DAY_MS } from '../../../lib/time.js';

const OLD = 'AAAAAAAA-ABCDEFGHIJKLMNOPQRST';
const NEW = 'BBBBBBBB-ABCDEFGHIJKLMNOPQRST';
const NOW = new Date('2027-03-01T00:00:00Z');
const MOVED = new Date('2027-02-28T22:00:00Z');
const s = (iso: string) => Math.floor(Date.parse(iso) / 1000);
let nextId = 1;

function key(lid: string, over: Partial<LicensePayload> = {}): RingKey {
  const payload: LicensePayload = {
    v: 1,
    lid,
    sub: 'sub-1',
    licensee: 'Acme',
    serverId: OLD,
    type: 'production',
    edition: 'enterprise',
    features: ['sso'],
    limits: {},
    tags: [],
    iat: s('2026-01-01T00:00:00Z'),
    nbf: s('2026-01-01T00:00:00Z'),
    exp: s('2028-01-01T00:00:00Z'),
    ...over,
  };
  return { id: nextId++, lid, compact: 'x.y.z', payload, setBy: 'admin', setAt: new Date('2026-01-01T00:00:00Z'), source: 'database' };
}

const unreadable = (lid: string): RingKey => ({ ...key(lid), payload: null });
const granted = (lid: string): Bridge => ({ lid, from: OLD, to: NEW, until: MOVED.getTime() + DAY_MS });

/** [what, keys, bridges already granted, the lid bridged or null] */
const table: [string, RingKey[], Bridge[], string | null][] = [
  ['a production key in force on the old ID, nothing for the new one', [key('p1')], [], 'p1'],
  ['the newest usable key of the old ID is the one bridged', [key('p1'), key('p2')], [], 'p2'],
  ['no key at all', [], [], null],
  ['the old key was a trial bound to "*" (still usable on the new ID)', [key('t1', { type: 'trial', serverId: '*' })], [], null],
  ['the old key was a staging key', [key('s1', { type: 'staging' })], [], null],
  ['the old key had expired', [key('p1', { exp: s('2026-06-01T00:00:00Z'), grace: 0 })], [], null],
  ['the old key is in grace: still in force, so bridged', [key('p1', { exp: s('2027-02-20T00:00:00Z') })], [], 'p1'],
  ['a usable key for the new ID exists', [key('p1'), key('n1', { serverId: NEW })], [], null],
  ['a key for the new ID that is not valid yet does not count', [key('p1'), key('n1', { serverId: NEW, nbf: s('2027-06-01T00:00:00Z') })], [], 'p1'],
  ['the key was bridged once already', [key('p1')], [granted('p1')], null],
  ['another key was bridged before: this one still may be', [key('p2')], [granted('p1')], 'p2'],
  ['an unreadable stored key is ignored', [key('p1'), unreadable('u1')], [], 'p1'],
];

describe('server-ID bridge decision (pure)', () => {
  for (const [what, keys, bridges, expected] of table) {
    it(`${expected ? 'bridges' : 'does not bridge'}: ${what}`, () => {
      const bridge = decideBridge({ change: { oldId: OLD, newId: NEW, reason: 'moved' }, movedAt: MOVED, keys, bridges, now: NOW });
      if (expected === null) {
        expect(bridge).to.equal(null);
      } else {
        expect(bridge).to.deep.equal({ lid: expected, from: OLD, to: NEW, until: MOVED.getTime() + BRIDGE_DAYS * DAY_MS });
      }
    });
  }
});
