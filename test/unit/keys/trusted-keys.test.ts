import { expect } from 'chai';
import { LicenseError, verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey } from '../../../lib/formats/index.js';
import { TrustedKeys, type PrivateJwk, type PublicJwk } from '../../../lib/keys/jwk.js';
import { joseSign, publicKeysOf, refused, validPayload, vendor } from './fixtures.js';

describe('trusted vendor keys', () => {
  describe('rotation (SPEC 3: several keys trusted at once)', () => {
    it('verifies keys from both trusted vendor keys, and refuses a third as KEY_UNKNOWN_KID', async () => {
      const [oldKey, newKey, third] = await Promise.all([vendor('rot-old'), vendor('rot-new', 'ES256'), vendor('rot-third')]);
      const publicKeys = publicKeysOf(oldKey, newKey);
      const fromOld = await signLicenseKey(validPayload({ licensee: 'Old Co' }), oldKey.privateJwk as PrivateJwk);
      const fromNew = await signLicenseKey(validPayload({ licensee: 'New Co' }), newKey.privateJwk as PrivateJwk);
      const fromThird = await signLicenseKey(validPayload(), third.privateJwk as PrivateJwk);

      const a = await verifyLicenseKey(fromOld, { publicKeys });
      expect([a.header.kid, a.payload.licensee]).to.deep.equal([oldKey.kid, 'Old Co']);
      const b = await verifyLicenseKey(fromNew, { publicKeys });
      expect([b.header.kid, b.header.alg, b.payload.licensee]).to.deep.equal([newKey.kid, 'ES256', 'New Co']);
      const err = await refused(verifyLicenseKey(fromThird, { publicKeys }), 'KEY_UNKNOWN_KID');
      expect(err.data.kid).to.equal(third.kid);

      // Once the old key is retired, its keys are refused.
      await refused(verifyLicenseKey(fromOld, { publicKeys: publicKeysOf(newKey) }), 'KEY_UNKNOWN_KID');
    });

    it('finds the key by thumbprint when the host left kid out of the JWK', async () => {
      const pair = await vendor('rot-old');
      const { kid: _kid, ...withoutKid } = pair.publicJwk;
      const key = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
      await verifyLicenseKey(key, { publicKeys: [withoutKid as PublicJwk] });
      // a kid other than the thumbprint is refused at load: test/unit/keys/edges.test.ts
    });
  });

  describe('TrustedKeys', () => {
    it('refuses a private JWK in publicKeys with a TypeError', async () => {
      const pair = await vendor('trusted');
      expect(() => new TrustedKeys([pair.privateJwk as PublicJwk])).to.throw(TypeError, /private/);
      expect(() => new TrustedKeys([pair.publicJwk as PublicJwk, { ...pair.publicJwk, d: undefined } as PublicJwk])).to.throw(TypeError);
      let caught: unknown;
      await verifyLicenseKey('a.b.c', { publicKeys: [pair.privateJwk as PublicJwk] }).catch((err: unknown) => {
        caught = err;
      });
      expect(caught).to.be.instanceOf(TypeError);
    });

    it('refuses an empty list, a non-list and entries that are not vendor JWKs with a TypeError', () => {
      for (const bad of [[], undefined, {}, [null], ['key'], [{ kty: 'RSA', n: 'x', e: 'AQAB' }], [{ kty: 'OKP', crv: 'X25519', x: 'A'.repeat(43) }]]) {
        expect(() => new TrustedKeys(bad as never), JSON.stringify(bad)).to.throw(TypeError);
      }
    });

    it('refuses a JWK whose coordinates are missing or not 32 bytes with a TypeError', async () => {
      const pair = await vendor('trusted');
      const es = await vendor('trusted', 'ES256');
      for (const bad of [
        { ...pair.publicJwk, x: undefined },
        { ...pair.publicJwk, x: pair.publicJwk.x!.slice(1) },
        { ...pair.publicJwk, x: `${pair.publicJwk.x}"` },
        { ...es.publicJwk, y: undefined },
        { ...es.publicJwk, y: 'AAAA' },
      ]) {
        expect(() => new TrustedKeys([bad as PublicJwk]), JSON.stringify(bad)).to.throw(TypeError);
      }
    });

    it('never accepts a key under a trusted JWK that is not a point of the curve', async () => {
      const es = await vendor('trusted', 'ES256');
      const offCurve = { kty: 'EC', crv: 'P-256', x: es.publicJwk.x, y: `${'A'.repeat(42)}E` };
      const trusted = new TrustedKeys([offCurve]);
      const key = await joseSign(es, validPayload(), { kid: trusted.kids[0] });
      let caught: unknown;
      await verifyLicenseKey(key, { publicKeys: trusted }).then(
        () => expect.fail('accepted'),
        (err: unknown) => {
          caught = err;
        },
      );
      // Either the import fails (the host's configuration: TypeError) or the signature does.
      if (caught instanceof LicenseError) expect(caught.code).to.equal('KEY_BAD_SIGNATURE');
      else expect(caught).to.be.instanceOf(TypeError);
    });

    it('imports each key once and looks it up by kid', async () => {
      const [a, b] = await Promise.all([vendor('rot-old'), vendor('rot-new', 'ES256')]);
      const trusted = new TrustedKeys(publicKeysOf(a, b));
      expect(trusted.kids).to.have.members([a.kid, b.kid]);
      expect(trusted.has(a.kid)).to.equal(true);
      expect(trusted.get('nope')).to.equal(undefined);
      const first = trusted.get(a.kid);
      expect(trusted.get(a.kid)).to.equal(first);
      const imported = await first!;
      expect(imported).to.include({ kid: a.kid, alg: 'EdDSA' });
      expect(imported.key.type).to.equal('public');
      expect(imported.key.usages).to.deep.equal(['verify']);
      expect((await trusted.get(b.kid)!).alg).to.equal('ES256');

      // A TrustedKeys can be passed in place of the array.
      const key = await signLicenseKey(validPayload(), a.privateJwk as PrivateJwk);
      expect((await verifyLicenseKey(key, { publicKeys: trusted })).header.kid).to.equal(a.kid);
    });

    it('keeps only the public members of a trusted JWK', async () => {
      const pair = await vendor('trusted');
      const trusted = new TrustedKeys([{ ...pair.publicJwk, use: 'sig', key_ops: ['verify'], extra: 1 } as PublicJwk]);
      expect((await trusted.get(pair.kid)!).key.algorithm.name).to.equal('Ed25519');
    });
  });
});
