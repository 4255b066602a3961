import { LicenseError } from '../errors.js';
import { subtle } from './crypto.js';
import { signParams, TrustedKeys, type LicenseAlg, type PublicJwk } from './jwk.js';
import { parseKey } from './parse.js';
import { validateClaims, type LicenseHeader, type LicensePayload } from './claims.js';

export interface VerifiedKey {
  header: LicenseHeader;
  payload: LicensePayload;
  /** The key as one line, ready to store. */
  compact: string;
}

// NOTE: RFC 9864 names Ed25519 signatures "Ed25519" (jose 6 writes it); it is EdDSA on that curve.
const ALGS: Readonly<Record<string, LicenseAlg>> = { EdDSA: 'EdDSA', Ed25519: 'EdDSA', ES256: 'ES256' };
const SIGNATURE_BYTES = 64; // Ed25519, and ES256 as r||s

/** An ASN.1 SEQUENCE of two INTEGERs, as OpenSSL and Java write ECDSA signatures. */
function looksLikeDer(signature: Buffer): boolean {
  return signature.length >= 8 && signature.length <= 72 && signature[0] === 0x30 && signature[1] === signature.length - 2 && signature[2] === 0x02;
}

function checkHeader(header: unknown): LicenseHeader {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new LicenseError('KEY_MALFORMED', { detail: 'The header of this license key is not a JSON object.' });
  }
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string' || !Object.hasOwn(ALGS, h.alg)) {
    throw new LicenseError('KEY_ALG_UNSUPPORTED', {
      // NOTE: never String() an untrusted value: a JSON object with a "toString" member throws
      detail:
        typeof h.alg === 'string'
          ? `This license key is signed with "${h.alg.slice(0, 20)}"; only EdDSA and ES256 are accepted.`
          : 'This license key does not name its signature algorithm as text; only EdDSA and ES256 are accepted.',
      data: { alg: h.alg },
    });
  }
  if (h.typ !== 'license+jws') {
    throw new LicenseError('KEY_MALFORMED', { detail: 'This is a signed token, but not a license key (its typ is not license+jws).' });
  }
  if (typeof h.kid !== 'string' || h.kid.length === 0) {
    throw new LicenseError('KEY_UNKNOWN_KID', { detail: 'This license key does not name the vendor key that signed it.' });
  }
  if (h.crit !== undefined) {
    throw new LicenseError('KEY_MALFORMED', { detail: 'This license key requires header extensions that are not supported.' });
  }
  return h as unknown as LicenseHeader;
}

/**
 * Verifies a license key offline: size, format, algorithm allow-list, trusted `kid`, signature,
 * then claims. Time is not judged here: states (not yet valid, expired) belong to evaluation.
 */
export async function verifyWith(key: unknown, trusted: TrustedKeys): Promise<VerifiedKey> {
  const parsed = parseKey(key);
  const header = checkHeader(parsed.header);
  const imported = trusted.get(header.kid);
  if (!imported) {
    throw new LicenseError('KEY_UNKNOWN_KID', { data: { kid: header.kid } });
  }
  const { key: cryptoKey, alg } = await imported;
  if (alg !== ALGS[header.alg]) {
    throw new LicenseError('KEY_BAD_SIGNATURE', { detail: `This license key claims ${header.alg}, but its vendor key signs with ${alg}.` });
  }
  let ok = false;
  if (parsed.signature.length === SIGNATURE_BYTES) {
    try {
      ok = await subtle.verify(signParams(alg), cryptoKey, parsed.signature as BufferSource, Buffer.from(parsed.signingInput, 'ascii') as BufferSource);
    } catch {
      ok = false; // a throwing verify is a refusal, never a crash
    }
  }
  if (!ok && alg === 'ES256' && looksLikeDer(parsed.signature)) {
    throw new LicenseError('KEY_BAD_SIGNATURE', {
      detail:
        'The ES256 signature of this license key is in DER (ASN.1) form; a JWS carries it as the 64 bytes r||s (RFC 7518 section 3.4). Ask the vendor to sign it again with a JOSE library.',
    });
  }
  if (!ok) throw new LicenseError('KEY_BAD_SIGNATURE');
  const payload = validateClaims(parsed.payload);
  return { header, payload, compact: parsed.compact };
}

/**
 * Verifies a license key against the vendor public keys.
 * @example
 * const { payload } = await verifyLicenseKey(pasted, { publicKeys: [vendorJwk] });
 */
export async function verifyLicenseKey(
  key: string,
  options: { publicKeys: readonly PublicJwk[] | TrustedKeys },
): Promise<{ header: LicenseHeader; payload: LicensePayload }> {
  const trusted = options.publicKeys instanceof TrustedKeys ? options.publicKeys : trustedKeysFor(options.publicKeys);
  const { header, payload } = await verifyWith(key, trusted);
  return { header, payload };
}

// NOTE: hosts write `verifyLicenseKey(k, { publicKeys: [jwk] })`, a new array on every call, and
// may edit an array in place; so imported keys are found by what the keys say, never by the
// identity of the array. A few sets at most are in use at a time.
const MAX_CACHED_SETS = 32;
const trustedCache = new Map<string, TrustedKeys>();

/** What identifies a set of JWKs for the cache: every member that TrustedKeys reads. */
function contentOf(publicKeys: readonly PublicJwk[]): string | undefined {
  if (!Array.isArray(publicKeys)) return undefined;
  let text = '';
  for (const jwk of publicKeys) {
    if (jwk === null || typeof jwk !== 'object' || 'd' in jwk) return undefined;
    const { kty, crv, x, y, kid, alg } = jwk;
    for (const member of [kty, crv, x, y, kid, alg]) {
      if (member !== undefined && typeof member !== 'string') return undefined;
    }
    text += `${kty}|${crv}|${x}|${y ?? ''}|${kid ?? ''}|${alg ?? ''}\n`;
  }
  return text;
}

function trustedKeysFor(publicKeys: readonly PublicJwk[]): TrustedKeys {
  const content = contentOf(publicKeys);
  if (content === undefined) return new TrustedKeys(publicKeys); // refuses it with its sentence
  let trusted = trustedCache.get(content);
  if (trusted) {
    // most recently used last, so the oldest is dropped first
    trustedCache.delete(content);
  } else {
    trusted = new TrustedKeys(publicKeys);
    if (trustedCache.size >= MAX_CACHED_SETS) trustedCache.delete(trustedCache.keys().next().value!);
  }
  trustedCache.set(content, trusted);
  return trusted;
}
