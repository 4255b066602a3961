import { importVerifyKey, subtle } from './crypto.js';
import { encodeBase64url } from './base64url.js';
import { algOfJwk, importParams, publicPart, signParams, thumbprint, type PrivateJwk, type PublicJwk } from './jwk.js';
import { validateClaims, type LicenseHeader, type LicensePayload } from './claims.js';

/**
 * Signs a license payload with a vendor private JWK (Ed25519 → EdDSA, P-256 → ES256).
 * The payload is validated first, so a vendor cannot issue a key that instances would refuse.
 */
export async function signLicenseKey(payload: LicensePayload, privateJwk: PrivateJwk): Promise<string> {
  if (!privateJwk || typeof privateJwk.d !== 'string') throw new TypeError('signLicenseKey needs a private JWK (with "d").');
  validateClaims(payload);
  const alg = algOfJwk(privateJwk);
  const header: LicenseHeader = { alg, typ: 'license+jws', kid: thumbprint(privateJwk) };
  const signingInput = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(payload))}`;
  const data = Buffer.from(signingInput, 'ascii') as BufferSource;
  const key = await subtle.importKey('jwk', privateJwk as JsonWebKey, importParams(alg), false, ['sign']);
  const signature = await subtle.sign(signParams(alg), key, data);
  // NOTE: the key is named by its public half (x, y) but signed with d: a file whose halves come
  // from two pairs would make keys that no instance accepts. Checking costs one verification.
  const publicKey = await importVerifyKey(publicPart(privateJwk) as JsonWebKey, importParams(alg));
  if (!(await subtle.verify(signParams(alg), publicKey, signature, data))) {
    throw new TypeError(`The private key ${header.kid} does not match its own public half (its "d" belongs to another key pair): nothing was signed.`);
  }
  return `${signingInput}.${encodeBase64url(new Uint8Array(signature))}`;
}

export interface VendorKeyPair {
  kid: string;
  publicJwk: PublicJwk & { kid: string };
  privateJwk: PrivateJwk & { kid: string };
}

/** A new vendor signing key pair as JWKs, `kid` set to the RFC 7638 thumbprint. */
export async function generateKeyPair(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<VendorKeyPair> {
  const pair = (await subtle.generateKey(importParams(alg), true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicJwk = await subtle.exportKey('jwk', pair.publicKey);
  const privateJwk = await subtle.exportKey('jwk', pair.privateKey);
  const kid = thumbprint(publicJwk as never);
  const strip = ({ key_ops: _ops, ext: _ext, ...rest }: JsonWebKey) => rest;
  return {
    kid,
    publicJwk: { ...strip(publicJwk), alg, use: 'sig', kid } as VendorKeyPair['publicJwk'],
    privateJwk: { ...strip(privateJwk), alg, use: 'sig', kid } as VendorKeyPair['privateJwk'],
  };
}
