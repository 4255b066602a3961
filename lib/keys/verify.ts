import { LicenseError } from '../errors.js';
import { subtle } from './crypto.js';
import { signParams, TrustedKeys, type PublicJwk } from './jwk.js';
import { parseKey } from './parse.js';
import { validateClaims, type LicenseHeader, type LicensePayload } from './claims.js';

export interface VerifiedKey {
  header: LicenseHeader;
  payload: LicensePayload;
  /** The key as one line, ready to store. */
  compact: string;
}

const ALLOWED_ALGS: ReadonlySet<string> = new Set(['EdDSA', 'ES256']);
const SIGNATURE_BYTES = 64; // Ed25519, and ES256 as r||s

function checkHeader(header: unknown): LicenseHeader {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new LicenseError('KEY_MALFORMED', { detail: 'The header of this license key is not a JSON object.' });
  }
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string' || !ALLOWED_ALGS.has(h.alg)) {
    throw new LicenseError('KEY_ALG_UNSUPPORTED', {
      // NOTE: never String() an untrusted value: a JSON object with a "toString" member throws
      detail: typeof h.alg === 'string'
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
  if (alg !== header.alg) {
    throw new LicenseError('KEY_BAD_SIGNATURE', { detail: `This license key claims ${header.alg}, but its vendor key signs with ${alg}.` });
  }
  let ok = false;
  if (parsed.signature.length === SIGNATURE_BYTES) {
    try {
      ok = await subtle.verify(signParams(alg), cryptoKey, parsed.signature as BufferSource, Buffer.from(parsed.signingInput, "ascii") as BufferSource);
    } catch {
      ok = false; // a throwing verify is a refusal, never a crash
    }
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

// NOTE: callers of verifyLicenseKey usually pass the same array each time; keep its imported
// keys so that a loop of verifications does not import the key again every time.
const trustedCache = new WeakMap<readonly PublicJwk[], TrustedKeys>();
function trustedKeysFor(publicKeys: readonly PublicJwk[]): TrustedKeys {
  let trusted = trustedCache.get(publicKeys);
  if (!trusted) {
    trusted = new TrustedKeys(publicKeys);
    trustedCache.set(publicKeys, trusted);
  }
  return trusted;
}
