import { createHash } from 'node:crypto';
import { importVerifyKey } from './crypto.js';
import { encodeBase64url, isBase64url } from './base64url.js';

export type LicenseAlg = 'EdDSA' | 'ES256';

/** A vendor public key as the host passes it. */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
  [other: string]: unknown;
}

export interface PrivateJwk extends PublicJwk {
  d: string;
}

/** The algorithm a JWK signs with, or a TypeError: misuse, not bad data. */
export function algOfJwk(jwk: PublicJwk): LicenseAlg {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new TypeError(`Unsupported vendor key: kty ${String(jwk.kty)} crv ${String(jwk.crv)}; use an Ed25519 (OKP) or P-256 (EC) JWK.`);
}

// Ed25519 x, and P-256 x and y, are 32 bytes: 43 base64url characters.
const isCoordinate = (c: unknown): c is string => typeof c === 'string' && c.length === 43 && isBase64url(c);

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` of a vendor key. */
export function thumbprint(jwk: PublicJwk): string {
  const alg = algOfJwk(jwk);
  if (!isCoordinate(jwk.x) || (alg === 'ES256' && !isCoordinate(jwk.y))) {
    throw new TypeError('A vendor JWK needs its public coordinates (x, and y for P-256) as 32-byte base64url values.');
  }
  // Members in lexicographic order, no white space (RFC 7638 section 3.2).
  const canonical = alg === 'EdDSA' ? `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}` : `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  return encodeBase64url(createHash('sha256').update(canonical).digest());
}

/** Only the public members: never let `d` travel with a public key. */
export function publicPart(jwk: PublicJwk): PublicJwk {
  const alg = algOfJwk(jwk);
  return alg === 'EdDSA' ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x } : { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

export function importParams(alg: LicenseAlg): EcKeyImportParams | Algorithm {
  return alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
}

export function signParams(alg: LicenseAlg): EcdsaParams | Algorithm {
  return alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
}

/** The `alg` a JWK may name for each kind of key; RFC 9864 names Ed25519 by its curve. */
const jwkAlgs: Record<LicenseAlg, readonly string[]> = { EdDSA: ['EdDSA', 'Ed25519'], ES256: ['ES256'] };

export interface TrustedKey {
  kid: string;
  alg: LicenseAlg;
  key: CryptoKey;
}

/**
 * The vendor keys an instance trusts, imported once and looked up by `kid`.
 * Built from the host's `publicKeys`; several may be trusted at once, for rotation.
 */
export class TrustedKeys {
  private readonly byKid = new Map<string, Promise<TrustedKey>>();
  private readonly jwks = new Map<string, PublicJwk>();

  constructor(publicKeys: readonly PublicJwk[]) {
    if (!Array.isArray(publicKeys) || publicKeys.length === 0) {
      throw new TypeError('publicKeys must list at least one vendor public JWK.');
    }
    for (const jwk of publicKeys) {
      if (jwk === null || typeof jwk !== 'object') throw new TypeError('Each entry of publicKeys must be a JWK object.');
      if ('d' in jwk) throw new TypeError('publicKeys holds a private key (it has "d"): pass only the public JWK.');
      const kid = thumbprint(jwk);
      // NOTE: keys name their vendor key by thumbprint; a JWK with another kid would be trusted
      // and then never match a key, so every key of that vendor would be refused later.
      if (jwk.kid !== undefined && jwk.kid !== kid) {
        throw new TypeError(
          `The vendor public key with kid "${String(jwk.kid)}" has the RFC 7638 thumbprint "${kid}": its kid must be that thumbprint (or be left out).`,
        );
      }
      const alg = algOfJwk(jwk);
      if (jwk.alg !== undefined && !jwkAlgs[alg].includes(jwk.alg as string)) {
        throw new TypeError(
          `The vendor public key ${kid} says alg "${String(jwk.alg)}", but it is a${alg === 'EdDSA' ? 'n Ed25519' : ' P-256'} key (${jwkAlgs[alg].join(' or ')}).`,
        );
      }
      this.jwks.set(kid, publicPart(jwk));
    }
  }

  get kids(): string[] {
    return [...this.jwks.keys()];
  }

  has(kid: string): boolean {
    return this.jwks.has(kid);
  }

  /** The imported key for `kid`, or undefined when that kid is not trusted. */
  get(kid: string): Promise<TrustedKey> | undefined {
    let imported = this.byKid.get(kid);
    if (imported) return imported;
    const jwk = this.jwks.get(kid);
    if (!jwk) return undefined;
    const alg = algOfJwk(jwk);
    imported = importVerifyKey(jwk as JsonWebKey, importParams(alg)).then(
      (key) => ({ kid, alg, key }),
      (cause: unknown) => {
        // A public key that does not import (not a point of the curve) is the host's
        // configuration at fault, not the license key's.
        throw new TypeError(`The vendor public key ${kid} in publicKeys cannot be imported.`, { cause });
      },
    );
    this.byKid.set(kid, imported);
    return imported;
  }
}
