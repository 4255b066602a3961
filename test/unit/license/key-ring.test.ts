import { expect } from 'chai';
import type { LicensePayload } from '../../../lib/keys/claims.js';
import { evaluable, selectCurrent, type RingKey } from '../../../lib/license/key-ring.js';
import type { KeyChoices } from '../../../lib/license/key-choices.js';

const SERVER = 'AAAAAAAA-ABCDEFGHIJKLMNOPQRST';
const NOW = new Date('2027-03-01T00:00:00Z');
const s = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function key(id: number, over: Partial<RingKey> = {}, payload: Partial<LicensePayload> = {}): RingKey {
  return {
    id,
    lid: `k${id}`,
    compact: 'x.y.z',
    setBy: 'admin',
    setAt: NOW,
    source: 'database',
    payload: {
      v: 1,
      lid: `k${id}`,
      sub: 's',
      licensee: `L${id}`,
      serverId: SERVER,
      type: 'production',
      edition: 'e',
      features: [],
      limits: {},
      tags: [],
      iat: s('2026-01-01T00:00:00Z'),
      nbf: s('2026-01-01T00:00:00Z'),
      exp: s('2028-01-01T00:00:00Z'),
      ...payload,
    },
    ...over,
  };
}

const none: KeyChoices = { retired: new Set(), chosen: null };
const retired = (...lids: string[]): KeyChoices => ({ retired: new Set(lids), chosen: null });
const chosen = (lid: string, afterId: number): KeyChoices => ({ retired: new Set(), chosen: { lid, afterId } });

/** [what, keys, the administrator's choices, the lid chosen] */
const table: [string, RingKey[], KeyChoices, string | null][] = [
  ['the last inserted usable key', [key(1), key(2)], none, 'k2'],
  ['a key made current (or set again) comes before the keys stored before', [key(1), key(2)], chosen('k1', 2), 'k1'],
  ['a key stored after that comes first again', [key(1), key(2), key(3)], chosen('k1', 2), 'k3'],
  ['a retired key is never chosen, even when it is the newest', [key(1), key(2)], retired('k2'), 'k1'],
  ['a retired key is not even the fallback', [key(1)], retired('k1'), null],
  ['an unreadable newest row gives way to a usable older one', [key(1), key(2, { payload: null })], none, 'k1'],
  ['an unreadable row alone is the current one, so its state (invalid) shows', [key(1, { payload: null })], none, 'k1'],
];

describe('key ring: the current key (pure)', () => {
  for (const [what, keys, choices, lid] of table) {
    it(what, () => {
      expect(selectCurrent(keys, SERVER, NOW, [], choices)?.key.lid ?? null).to.equal(lid);
    });
  }

  it('a payload whose dates cannot be written is not evaluable (KEY_CLAIMS_INVALID)', () => {
    expect(() => evaluable(key(1, {}, { exp: 8_640_000_000_001 }).payload!))
      .to.throw()
      .with.property('code', 'KEY_CLAIMS_INVALID');
    expect(() => evaluable(key(1).payload!)).to.not.throw();
  });
});
