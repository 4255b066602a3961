import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import * as jose from 'jose';
import { LicenseError, messages, verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey } from '../../../lib/formats/index.js';
import { MAX_KEY_BYTES } from '../../../lib/keys/parse.js';
import type { PrivateJwk } from '../../../lib/keys/jwk.js';
import { craft, joseSign, publicKeysOf, refused, validPayload, vendor } from './fixtures.js';

// Every code of SPEC 3/12 that a key can get, each from a real crafted key. The codes that
// depend on the instance (server ID, time, limits) belong to evaluation, not to verification.
describe('license key error codes', () => {
  let good: string;
  let publicKeys: ReturnType<typeof publicKeysOf>;
  const verify = (key: unknown) => verifyLicenseKey(key as string, { publicKeys });

  before(async () => {
    const pair = await vendor('codes');
    publicKeys = publicKeysOf(pair);
    good = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
  });

  it('the good key the others are made from verifies', async () => {
    const { payload } = await verify(good);
    expect(payload.licensee).to.equal('Acme Corp');
  });

  describe('KEY_MALFORMED', () => {
    const header = () => JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    const payload = () => good.split('.')[1]!;
    const signature = () => good.split('.')[2]!;
    const cases: [string, () => unknown][] = [
      ['not a string', () => 42],
      ['an empty string', () => ''],
      ['only white space and armour', () => '-----BEGIN LICENSE KEY-----\r\n  \n-----END LICENSE KEY-----'],
      ['one part', () => good.replaceAll('.', '')],
      ['two parts', () => good.slice(0, good.lastIndexOf('.'))],
      ['four parts', () => `${good}.${signature()}`],
      ['an empty header', () => `.${payload()}.${signature()}`],
      ['an empty payload', () => `${good.split('.')[0]}..${signature()}`],
      ['a character outside base64url', () => `${good.slice(0, 10)}+${good.slice(11)}`],
      ['padding', () => `${good}==`],
      ['a part of impossible length (4n+1)', () => good.replace(/^[^.]+/, (h) => `${h}A`.slice(0, 4 * Math.floor(h.length / 4) + 1))],
      ['a header that is not JSON', () => craft('{"alg":"EdDSA",', validPayload())],
      ['a payload that is not JSON', () => `${good.split('.')[0]}.${Buffer.from('licensee=Acme').toString('base64url')}.${signature()}`],
      ['a header that is JSON but not an object', () => craft('["EdDSA"]', validPayload())],
      ['a header that is null', () => craft('null', validPayload())],
      ['the typ of a plain JWT', () => craft({ ...header(), typ: 'JWT' }, validPayload())],
      ['no typ', () => craft({ alg: 'EdDSA', kid: header().kid }, validPayload())],
      ['critical header extensions', () => craft({ ...header(), crit: ['exp'] }, validPayload())],
    ];
    for (const [what, make] of cases) {
      it(`refuses ${what}`, async () => {
        await refused(verify(make()), 'KEY_MALFORMED');
      });
    }

    it('refuses a signature spelled in non-canonical base64url (same bytes, other text)', async () => {
      // The last of 86 characters carries 4 unused bits: "…A" and "…B" decode alike.
      const sig = signature();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(sig.at(-1)!);
      const twin = `${sig.slice(0, -1)}${alphabet[last | 1]}`;
      expect(Buffer.from(twin, 'base64url').equals(Buffer.from(sig, 'base64url'))).to.equal(true);
      await refused(verify(good.replace(sig, twin)), 'KEY_MALFORMED');
    });
  });

  describe('KEY_TOO_LARGE', () => {
    it('refuses a key over 16 KiB', async () => {
      await refused(verify(`${good}\n${' '.repeat(MAX_KEY_BYTES)}`), 'KEY_TOO_LARGE');
    });

    it('is checked before any parsing: 16 KiB + 1 of garbage is too large, not malformed', async () => {
      await refused(verify('!'.repeat(MAX_KEY_BYTES + 1)), 'KEY_TOO_LARGE');
      await refused(verify('!'.repeat(MAX_KEY_BYTES)), 'KEY_MALFORMED');
    });

    it('counts bytes, not characters: 16 KiB of text with a multi-byte character is too large', async () => {
      const text = `${good}${' '.repeat(MAX_KEY_BYTES - good.length - 1)}é`;
      expect(text.length).to.equal(MAX_KEY_BYTES);
      await refused(verify(text), 'KEY_TOO_LARGE');
    });
  });

  describe('KEY_ALG_UNSUPPORTED', () => {
    it('refuses alg "none" with an empty signature (an unsecured JWS, RFC 7515 appendix A.5)', async () => {
      const [h] = good.split('.');
      const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>;
      const err = await refused(verify(`${craft({ ...header, alg: 'none' }, validPayload(), '')}`), 'KEY_ALG_UNSUPPORTED');
      expect(err.data.alg).to.equal('none');
    });

    it('refuses alg "none" that keeps a signature', async () => {
      const kid = publicKeys[0]!.kid;
      await refused(verify(craft({ alg: 'none', typ: 'license+jws', kid }, validPayload())), 'KEY_ALG_UNSUPPORTED');
    });

    it('refuses HS256, even when the secret is the vendor public key (the key-confusion attack)', async () => {
      const pub = publicKeys[0]!;
      const secret = new TextEncoder().encode(JSON.stringify(pub));
      const key = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(validPayload())))
        .setProtectedHeader({ alg: 'HS256', typ: 'license+jws', kid: pub.kid as string })
        .sign(secret);
      const err = await refused(verify(key), 'KEY_ALG_UNSUPPORTED');
      expect(err.data.alg).to.equal('HS256');
    });

    it('refuses RS256 from a real RSA key', async () => {
      const { privateKey } = await jose.generateKeyPair('RS256');
      const key = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(validPayload())))
        .setProtectedHeader({ alg: 'RS256', typ: 'license+jws', kid: publicKeys[0]!.kid as string })
        .sign(privateKey);
      await refused(verify(key), 'KEY_ALG_UNSUPPORTED');
    });

    // { toString: '' } once crashed the error sentence (String() of a JSON object): found by fast-check
    // 'Ed25519' is accepted (RFC 9864): test/unit/keys/edges.test.ts
    for (const alg of ['HS512', 'ES384', 'ES256K', 'PS256', 'ed25519', 'eddsa', '', 42, null, { toString: '' }, ['EdDSA']]) {
      it(`refuses alg ${JSON.stringify(alg)}`, async () => {
        await refused(verify(craft({ alg, typ: 'license+jws', kid: publicKeys[0]!.kid }, validPayload())), 'KEY_ALG_UNSUPPORTED');
      });
    }

    it('refuses a header without alg', async () => {
      await refused(verify(craft({ typ: 'license+jws', kid: publicKeys[0]!.kid }, validPayload())), 'KEY_ALG_UNSUPPORTED');
    });
  });

  describe('KEY_UNKNOWN_KID', () => {
    it('refuses a key signed by a vendor key that is not trusted', async () => {
      const stranger = await vendor('stranger');
      const key = await signLicenseKey(validPayload(), stranger.privateJwk as PrivateJwk);
      const err = await refused(verify(key), 'KEY_UNKNOWN_KID');
      expect(err.data.kid).to.equal(stranger.kid);
    });

    it('refuses a key whose kid was changed to an unknown one', async () => {
      const key = await joseSign(await vendor('codes'), validPayload(), { kid: 'not-a-trusted-thumbprint' });
      await refused(verify(key), 'KEY_UNKNOWN_KID');
    });

    it('refuses a key without kid, or with a kid that is not a string', async () => {
      const pair = await vendor('codes');
      await refused(verify(craft({ alg: 'EdDSA', typ: 'license+jws' }, validPayload())), 'KEY_UNKNOWN_KID');
      await refused(verify(await joseSign(pair, validPayload(), { kid: '' })), 'KEY_UNKNOWN_KID');
      await refused(verify(craft({ alg: 'EdDSA', typ: 'license+jws', kid: { x: 1 } }, validPayload())), 'KEY_UNKNOWN_KID');
    });
  });

  describe('KEY_BAD_SIGNATURE', () => {
    it('refuses a changed payload under the original signature', async () => {
      const [h, , s] = good.split('.');
      const forged = Buffer.from(JSON.stringify(validPayload({ limits: {} }))).toString('base64url');
      await refused(verify(`${h}.${forged}.${s}`), 'KEY_BAD_SIGNATURE');
    });

    it('refuses the signature of another key', async () => {
      const other = await signLicenseKey(validPayload(), (await vendor('codes')).privateJwk as PrivateJwk);
      await refused(verify(`${good.slice(0, good.lastIndexOf('.'))}.${other.split('.')[2]}`), 'KEY_BAD_SIGNATURE');
    });

    it('refuses a signature made by another private key under a trusted kid', async () => {
      const impostor = await vendor('impostor');
      const key = await joseSign(impostor, validPayload(), { kid: publicKeys[0]!.kid });
      await refused(verify(key), 'KEY_BAD_SIGNATURE');
    });

    it('refuses an all-zero, a short, a long and an empty signature', async () => {
      const signingInput = good.slice(0, good.lastIndexOf('.'));
      for (const sig of [new Uint8Array(64), new Uint8Array(63), new Uint8Array(65), new Uint8Array(0), new Uint8Array(72)]) {
        await refused(verify(`${signingInput}.${Buffer.from(sig).toString('base64url')}`), 'KEY_BAD_SIGNATURE');
      }
    });

    it('refuses a header whose alg is not the one of the trusted key (ES256 header, Ed25519 kid)', async () => {
      const [h, p, s] = good.split('.');
      const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), alg: 'ES256' };
      await refused(verify(`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`), 'KEY_BAD_SIGNATURE');
    });

    it('refuses an ES256 key whose signature is DER-encoded instead of r||s', async () => {
      const pair = await vendor('codes-es', 'ES256');
      const { createPrivateKey, sign } = await import('node:crypto');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'license+jws', kid: pair.kid })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(validPayload())).toString('base64url');
      const der = sign('sha256', Buffer.from(`${header}.${payload}`), createPrivateKey({ key: pair.privateJwk as never, format: 'jwk' }));
      await refused(verifyLicenseKey(`${header}.${payload}.${der.toString('base64url')}`, { publicKeys: publicKeysOf(pair) }), 'KEY_BAD_SIGNATURE');
    });
  });

  describe('KEY_CLAIMS_INVALID', () => {
    it('refuses a well-signed key whose content is not a license, naming the claim', async () => {
      const key = await joseSign(await vendor('codes'), validPayload({ serverId: 'somewhere' }));
      const err = await refused(verify(key), 'KEY_CLAIMS_INVALID');
      expect(err.data.claim).to.equal('serverId');
      expect(err.message).to.include('serverId');
    });
    // Every rule, one by one: claims.test.ts.
  });

  it('every refusal is a LicenseError with an HTTP status and a sentence from the messages table', async () => {
    const err = await refused(verify('x.y'), 'KEY_MALFORMED');
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal('LicenseError');
    expect(err.status).to.equal(422);
    expect(err.message).to.equal(messages.KEY_MALFORMED);
    expect(err.toJSON()).to.deep.equal({ code: 'KEY_MALFORMED', message: messages.KEY_MALFORMED });
    expect(err).to.be.instanceOf(LicenseError);
  });
});

describe('RSA keys', () => {
  it('are not vendor keys: an RSA JWK in publicKeys is a TypeError (misuse), not a LicenseError', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    return verifyLicenseKey('a.b.c', { publicKeys: [jwk as never] }).then(
      () => expect.fail('accepted'),
      (err: unknown) => expect(err).to.be.instanceOf(TypeError),
    );
  });
});
