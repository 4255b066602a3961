/**
 * SPEC 15.3: keys that cannot be evaluated, and the edges of interoperability (RFC 9864 alg
 * names, DER signatures, kids that are not thumbprints, imported keys cached by content).
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import * as jose from 'jose';
import { expect } from 'chai';
import { verifyLicenseKey } from '../../../lib/index.js';
import { generateKeyPair, signLicenseKey } from '../../../lib/formats/index.js';
import { subtle } from '../../../lib/keys/crypto.js';
import { EcdsaP256Provider, Ed25519Provider } from '../../../lib/keys/providers.js';
import { TrustedKeys, type PrivateJwk, type PublicJwk } from '../../../lib/keys/jwk.js';
import type { LicensePayload } from '../../../lib/keys/claims.js';
import { joseSign, publicKeysOf, refused, validPayload, vendor } from './fixtures.js';

const JAN_2000 = 946_684_800;
const END_9999 = 253_402_300_799;

describe('keys that cannot be evaluated (SPEC 15.3)', () => {
  describe('bounded claims', () => {
    const outOfBounds: [string, Partial<Record<keyof LicensePayload, unknown>>, string][] = [
      ['exp past year 9999 (8640000000001)', { exp: 8_640_000_000_001 }, 'exp'],
      ['exp one second after 9999-12-31', { exp: END_9999 + 1 }, 'exp'],
      ['iat before 2000-01-01', { iat: JAN_2000 - 1 }, 'iat'],
      ['nbf before 2000-01-01', { nbf: JAN_2000 - 1 }, 'nbf'],
      ['grace 10^9 days', { grace: 1e9 }, 'grace'],
      ['limits.loc 2^60', { limits: { loc: 2 ** 60 } }, 'limits.loc'],
      ['limits.users 10^12 + 1', { limits: { users: 1e12 + 1 } }, 'limits.users'],
    ];
    let pair: Awaited<ReturnType<typeof vendor>>;
    before(async () => {
      pair = await vendor('bounds');
    });

    for (const [what, overrides, claim] of outOfBounds) {
      it(`refuses ${what}, signed by the vendor, naming ${claim}; the signer refuses it too`, async () => {
        const payload = validPayload(overrides);
        const key = await joseSign(pair, payload);
        const err = await refused(verifyLicenseKey(key, { publicKeys: publicKeysOf(pair) }), 'KEY_CLAIMS_INVALID');
        expect(err.data.claim).to.equal(claim);
        expect(err.message).to.include(`"${claim}"`);
        await refused(signLicenseKey(payload, pair.privateJwk as PrivateJwk), 'KEY_CLAIMS_INVALID');
      });
    }

    it('refuses the key of the report: exp 8640000000001, grace 10^9, loc 2^60', async () => {
      const key = await joseSign(pair, validPayload({ exp: 8_640_000_000_001, grace: 1e9, limits: { loc: 2 ** 60 } }));
      await refused(verifyLicenseKey(key, { publicKeys: publicKeysOf(pair) }), 'KEY_CLAIMS_INVALID');
    });

    it('accepts the bounds themselves: 2000-01-01, 9999-12-31, grace 3650, limits 10^12', async () => {
      const payload = validPayload({ iat: JAN_2000, nbf: JAN_2000, exp: END_9999, grace: 3650, limits: { loc: 1e12, users: 1e12 } });
      const key = await signLicenseKey(payload, pair.privateJwk as PrivateJwk);
      expect((await verifyLicenseKey(key, { publicKeys: publicKeysOf(pair) })).payload).to.deep.equal(payload);
    });
  });

  describe('alg "Ed25519" (RFC 9864)', () => {
    it('accepts a key whose header says Ed25519, signed by jose with an Ed25519 vendor key', async () => {
      const pair = await vendor('rfc9864');
      const key = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(validPayload())))
        .setProtectedHeader({ alg: 'Ed25519', typ: 'license+jws', kid: pair.kid })
        .sign(await jose.importJWK(pair.privateJwk as jose.JWK, 'Ed25519'));
      const { header, payload } = await verifyLicenseKey(key, { publicKeys: publicKeysOf(pair) });
      expect(header.alg).to.equal('Ed25519');
      expect(payload.licensee).to.equal('Acme Corp');
    });

    it('refuses alg Ed25519 in front of a P-256 vendor key', async () => {
      const es = await vendor('rfc9864', 'ES256');
      const key = await joseSign(es, validPayload(), { alg: 'ES256' });
      const [, p, s] = key.split('.');
      const forged = `${Buffer.from(JSON.stringify({ alg: 'Ed25519', typ: 'license+jws', kid: es.kid })).toString('base64url')}.${p}.${s}`;
      await refused(verifyLicenseKey(forged, { publicKeys: publicKeysOf(es) }), 'KEY_BAD_SIGNATURE');
    });

    it('trusts a vendor JWK that says alg Ed25519', async () => {
      const pair = await vendor('rfc9864');
      const key = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
      await verifyLicenseKey(key, { publicKeys: [{ ...pair.publicJwk, alg: 'Ed25519' } as PublicJwk] });
      expect(() => new TrustedKeys([{ ...pair.publicJwk, alg: 'ES256' } as PublicJwk])).to.throw(TypeError, /ES256/);
    });
  });

  describe('ES256 signatures', () => {
    it('refuses a DER signature with a sentence that says so, and accepts the same signature as r||s', async () => {
      const es = await vendor('der', 'ES256');
      const good = await signLicenseKey(validPayload(), es.privateJwk as PrivateJwk);
      const [h, p] = good.split('.');
      const privateKey = createPrivateKey({ key: es.privateJwk as never, format: 'jwk' });
      const der = nodeSign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'der' });
      const err = await refused(verifyLicenseKey(`${h}.${p}.${der.toString('base64url')}`, { publicKeys: publicKeysOf(es) }), 'KEY_BAD_SIGNATURE');
      expect(err.message)
        .to.match(/DER/)
        .and.match(/r\|\|s/);
      const p1363 = nodeSign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      await verifyLicenseKey(`${h}.${p}.${p1363.toString('base64url')}`, { publicKeys: publicKeysOf(es) });
    });

    it("verifies through our own providers, registered in the library's provider storage", () => {
      const providers = (subtle as unknown as { providers: { get(name: string): object | null } }).providers;
      expect(providers.get('ECDSA')).to.be.instanceOf(EcdsaP256Provider);
      expect(providers.get('Ed25519')).to.be.instanceOf(Ed25519Provider);
      // no method of a provider instance replaced: they are the classes' own
      for (const name of ['ECDSA', 'Ed25519']) {
        expect(Object.getOwnPropertyNames(providers.get(name))).to.not.include.members(['onVerify', 'onSign', 'onImportKey']);
      }
    });

    it('ES256 keys interoperate with jose both ways', async () => {
      const es = await vendor('der', 'ES256');
      const ours = await signLicenseKey(validPayload(), es.privateJwk as PrivateJwk);
      await jose.compactVerify(ours, await jose.importJWK(es.publicJwk as jose.JWK, 'ES256'));
      await verifyLicenseKey(await joseSign(es, validPayload(), { alg: 'ES256' }), { publicKeys: publicKeysOf(es) });
    });
  });

  describe('vendor JWKs whose kid is not their thumbprint', () => {
    it('are refused when the keys are loaded, naming both', async () => {
      const pair = await vendor('kids');
      const wrong = { ...pair.publicJwk, kid: 'vendor-2026' } as PublicJwk;
      expect(() => new TrustedKeys([wrong]))
        .to.throw(TypeError)
        .that.satisfies((err: Error) => err.message.includes('vendor-2026') && err.message.includes(pair.kid));
      let caught: unknown;
      await verifyLicenseKey('a.b.c', { publicKeys: [wrong] }).catch((err: unknown) => {
        caught = err;
      });
      expect(caught).to.be.instanceOf(TypeError);
    });
  });

  describe('imported keys cached by content', () => {
    it('a key removed from the array in place is no longer trusted', async () => {
      const [a, b] = await Promise.all([vendor('cache-a'), vendor('cache-b')]);
      const publicKeys = publicKeysOf(a, b);
      const fromB = await signLicenseKey(validPayload(), b.privateJwk as PrivateJwk);
      await verifyLicenseKey(fromB, { publicKeys });
      publicKeys.splice(1, 1);
      await refused(verifyLicenseKey(fromB, { publicKeys }), 'KEY_UNKNOWN_KID');
      publicKeys.push(b.publicJwk as PublicJwk);
      await verifyLicenseKey(fromB, { publicKeys });
    });

    it('a key replaced inside the same JWK object is no longer trusted', async () => {
      const [a, b] = await Promise.all([vendor('cache-a'), vendor('cache-b')]);
      const jwk = { ...a.publicJwk } as PublicJwk;
      const publicKeys = [jwk];
      const fromA = await signLicenseKey(validPayload(), a.privateJwk as PrivateJwk);
      await verifyLicenseKey(fromA, { publicKeys });
      Object.assign(jwk, b.publicJwk);
      await refused(verifyLicenseKey(fromA, { publicKeys }), 'KEY_UNKNOWN_KID');
    });

    it('a new array literal on every call imports the key once', async () => {
      const pair = await generateKeyPair(); // a key no other test has imported
      const key = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
      const counted = subtle as unknown as { importKey: (...args: unknown[]) => Promise<CryptoKey> };
      const original = counted.importKey;
      let imports = 0;
      counted.importKey = (...args) => {
        imports++;
        return original.apply(subtle, args);
      };
      try {
        for (let i = 0; i < 20; i++) await verifyLicenseKey(key, { publicKeys: [{ ...pair.publicJwk }] });
      } finally {
        counted.importKey = original;
      }
      expect(imports).to.equal(1);
    });
  });

  describe('signing with a mismatched key pair', () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      it(`refuses to sign with a private ${alg} JWK whose d belongs to another pair`, async () => {
        const [one, two] = await Promise.all([vendor(`mismatch-1`, alg), vendor(`mismatch-2`, alg)]);
        const mixed = { ...one.privateJwk, d: two.privateJwk.d } as PrivateJwk;
        let caught: unknown;
        await signLicenseKey(validPayload(), mixed).then(
          () => expect.fail('signed'),
          (err: unknown) => {
            caught = err;
          },
        );
        expect(caught).to.be.instanceOf(TypeError);
        expect((caught as Error).message).to.include('does not match');
      });
    }
  });
});
