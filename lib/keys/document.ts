import { subtle } from './crypto.js';
import { decodeBase64url, encodeBase64url, isBase64url } from './base64url.js';
import { algOfJwk, importParams, signParams, thumbprint, type LicenseAlg, type PrivateJwk, type PublicJwk } from './jwk.js';

/**
 * Signed documents other than license keys (revocation lists, usage reports): compact JWS with
 * their own `typ`, read with the same allow-list as keys. Callers turn a `DocumentProblem` into
 * the error code of their trade (an instance and a vendor refuse different things).
 */

/** Usage reports hold a year of days at most; anything far larger is not one of ours. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
const SIGNATURE_BYTES = 64;

export type DocumentProblem = 'too_large' | 'malformed' | 'wrong_type' | 'alg' | 'bad_signature';

export class DocumentError extends Error {
  constructor(
    readonly problem: DocumentProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedDocument {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
  /** the document as one line */
  compact: string;
}

function json(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeBase64url(part).toString('utf8'));
  } catch {
    throw new DocumentError('malformed', 'a part of it is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DocumentError('malformed', 'a part of it is not a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Parses a compact JWS of type `typ` (white space and line breaks around and inside ignored),
 * refused unread above `maxBytes` (1 MiB unless the type needs more).
 */
export function parseDocument(input: unknown, typ: string, maxBytes = MAX_DOCUMENT_BYTES): ParsedDocument {
  if (typeof input !== 'string') throw new DocumentError('malformed', 'it is not text');
  if (input.length > maxBytes) throw new DocumentError('too_large', `it is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
  const compact = input.replace(/\s+/g, '');
  const parts = compact.split('.');
  if (parts.length !== 3 || !parts.every((p) => p.length > 0 && isBase64url(p))) {
    throw new DocumentError('malformed', 'it is not three base64url parts separated by dots');
  }
  const [h, p, s] = parts as [string, string, string];
  const header = json(h);
  if (header.typ !== typ) throw new DocumentError('wrong_type', `its type is not ${typ}`);
  if (header.alg !== 'EdDSA' && header.alg !== 'ES256') throw new DocumentError('alg', 'it is not signed with EdDSA or ES256');
  if (header.crit !== undefined) throw new DocumentError('malformed', 'it requires header extensions that are not supported');
  return { header, payload: json(p), signingInput: `${h}.${p}`, signature: decodeBase64url(s), compact };
}

/** True when the signature verifies with `key`; a throwing verify is a false. */
export async function signatureHolds(doc: ParsedDocument, key: CryptoKey, alg: LicenseAlg): Promise<boolean> {
  if (doc.header.alg !== alg || doc.signature.length !== SIGNATURE_BYTES) return false;
  try {
    return await subtle.verify(signParams(alg), key, doc.signature as BufferSource, Buffer.from(doc.signingInput, 'ascii') as BufferSource);
  } catch {
    return false;
  }
}

/** Imports a public JWK named in a document (a usage report carries its own). */
export async function importPublicJwk(jwk: PublicJwk): Promise<{ key: CryptoKey; alg: LicenseAlg; kid: string }> {
  const alg = algOfJwk(jwk);
  const kid = thumbprint(jwk);
  const key = await subtle.importKey('jwk', jwk as JsonWebKey, importParams(alg), false, ['verify']);
  return { key, alg, kid };
}

/** Signs `payload` as a compact JWS of type `typ`; `extra` joins the header (`kid` or `jwk`). */
export async function signDocument(typ: string, payload: object, privateJwk: PrivateJwk, extra: Record<string, unknown> = {}): Promise<string> {
  const alg = algOfJwk(privateJwk);
  const header = { alg, typ, ...extra };
  const signingInput = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(payload))}`;
  const key = await subtle.importKey('jwk', privateJwk as JsonWebKey, importParams(alg), false, ['sign']);
  const signature = await subtle.sign(signParams(alg), key, Buffer.from(signingInput, 'ascii') as BufferSource);
  return `${signingInput}.${encodeBase64url(new Uint8Array(signature))}`;
}
