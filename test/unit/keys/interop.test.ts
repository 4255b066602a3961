import { expect } from 'chai';
import * as jose from 'jose';
import { verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey, thumbprint } from '../../../lib/formats/index.js';
import type { PrivateJwk, PublicJwk } from '../../../lib/keys/jwk.js';
import { publicKeysOf, validPayload, vendor } from './fixtures.js';

// SPEC 3: a license key is a plain compact JWS, so any JOSE library reads what we write and we
// read what any JOSE library writes.
for (const alg of ['EdDSA', 'ES256'] as const) {
  describe(`license keys and jose (${alg})`, () => {
    it('a key we issue verifies with jose compactVerify and the public JWK', async () => {
      const pair = await vendor('interop', alg);
      const payload = validPayload();
      const key = await signLicenseKey(payload, pair.privateJwk as PrivateJwk);

      const { payload: bytes, protectedHeader } = await jose.compactVerify(key, await jose.importJWK(pair.publicJwk as jose.JWK, alg));
      expect(protectedHeader).to.deep.equal({ alg, typ: 'license+jws', kid: pair.kid });
      expect(JSON.parse(new TextDecoder().decode(bytes))).to.deep.equal(payload);
    });

    it('a key jose signs verifies with verifyLicenseKey', async () => {
      const pair = await vendor('interop', alg);
      const payload = validPayload({ features: ['reports'], tags: [] });
      const key = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg, typ: 'license+jws', kid: await jose.calculateJwkThumbprint(pair.publicJwk as jose.JWK) })
        .sign(await jose.importJWK(pair.privateJwk as jose.JWK, alg));

      const verified = await verifyLicenseKey(key, { publicKeys: publicKeysOf(pair) });
      expect(verified.header).to.deep.equal({ alg, typ: 'license+jws', kid: pair.kid });
      expect(verified.payload).to.deep.equal(payload);
    });

    it('kid is the RFC 7638 thumbprint, the same as jose calculateJwkThumbprint', async () => {
      const pair = await vendor('interop', alg);
      const expected = await jose.calculateJwkThumbprint(pair.publicJwk as jose.JWK, 'sha256');
      expect(pair.kid).to.equal(expected);
      expect(pair.publicJwk.kid).to.equal(expected);
      expect(pair.privateJwk.kid).to.equal(expected);
      expect(thumbprint(pair.publicJwk as PublicJwk)).to.equal(expected);
      // The private JWK has the same thumbprint: only the public members count.
      expect(thumbprint(pair.privateJwk as PublicJwk)).to.equal(expected);
    });

    it('a jose key pair (not made by us) works both ways', async () => {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const publicJwk = await jose.exportJWK(publicKey);
      const privateJwk = await jose.exportJWK(privateKey);
      const kid = await jose.calculateJwkThumbprint(publicJwk);

      const ours = await signLicenseKey(validPayload(), privateJwk as PrivateJwk);
      const { protectedHeader } = await jose.compactVerify(ours, publicKey);
      expect(protectedHeader.kid).to.equal(kid);

      const theirs = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(validPayload())))
        .setProtectedHeader({ alg, typ: 'license+jws', kid })
        .sign(privateKey);
      const verified = await verifyLicenseKey(theirs, { publicKeys: [publicJwk as PublicJwk] });
      expect(verified.header.kid).to.equal(kid);
    });
  });
}

describe('ES256 signatures', () => {
  it('are 64 bytes r||s, not DER (RFC 7518 section 3.4)', async () => {
    const pair = await vendor('interop', 'ES256');
    const key = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
    expect(Buffer.from(key.split('.')[2]!, 'base64url')).to.have.length(64);
  });
});
