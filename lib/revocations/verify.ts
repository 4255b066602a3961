import { LicenseError } from '../errors.js';
import { DocumentError, parseDocument, signatureHolds } from '../keys/document.js';
import type { TrustedKeys } from '../keys/jwk.js';

export const REVOCATIONS_TYP = 'license-revocations+jws';

/** SPEC 21: an instance accepts any list of up to 100,000 revoked keys. */
export const MAX_REVOKED = 100_000;
/**
 * The largest list text: 100,000 entries of a 64-character ID and a 16-digit time are 9.7 MB of
 * JSON, 12.9 MB in base64url; what the page, the API and the CLI read for a list.
 */
export const MAX_REVOCATIONS_BYTES = 16 * 1024 * 1024;

/** The signed payload of a revocation list (SPEC 18.2); times in Unix seconds. */
export interface RevocationListPayload {
  v: 1;
  number: number;
  issuedAt: number;
  revoked: { lid: string; at: number }[];
}

export interface VerifiedRevocationList {
  payload: RevocationListPayload;
  /** the vendor key that signed it */
  kid: string;
  /** the list as one line, ready to store */
  compact: string;
}

export const revocationMessages = {
  notAList: (why: string) => `This is not a revocation list: ${why}.`,
  untrusted: () => 'This revocation list was signed by a vendor key that this installation does not trust.',
  badSignature: () => 'The signature of this revocation list does not match its content: it was altered or damaged.',
  stale: (number: number, stored: number) =>
    `This revocation list is number ${number}, but list number ${stored} is already in force: only a newer list (a higher number) replaces it.`,
  revoked: (lid: string, at: string) => `This license key (${lid}) was revoked by the vendor on ${at}: it cannot be set.`,
} as const;

const notAList = (why: string) => new LicenseError('VALIDATION_FAILED', { detail: revocationMessages.notAList(why) });
const whole = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

function checkPayload(p: Record<string, unknown>): RevocationListPayload {
  if (p.v !== 1) throw notAList('its format version is not 1');
  if (!whole(p.number) || p.number < 1) throw notAList('its number is not a whole number of 1 or more');
  if (!whole(p.issuedAt)) throw notAList('its issuedAt is not a time in seconds');
  if (!Array.isArray(p.revoked)) throw notAList('its revoked entry is not a list');
  if (p.revoked.length > MAX_REVOKED)
    throw notAList(`it lists ${p.revoked.length} keys, more than the ${MAX_REVOKED.toLocaleString('en-US')} an instance takes`);
  const revoked = p.revoked.map((r: unknown) => {
    const e = r as { lid?: unknown; at?: unknown } | null;
    if (!e || typeof e.lid !== 'string' || e.lid.length === 0 || e.lid.length > 64 || !whole(e.at)) throw notAList('an entry is not { lid, at }');
    return { lid: e.lid, at: e.at };
  });
  return { v: 1, number: p.number, issuedAt: p.issuedAt, revoked };
}

/**
 * Verifies a revocation list against the vendor keys this instance trusts: the same allow-list
 * and trusted `kid` as license keys, so only the vendor can withdraw a key.
 */
export async function verifyRevocationList(text: unknown, trusted: TrustedKeys): Promise<VerifiedRevocationList> {
  let doc;
  try {
    doc = parseDocument(text, REVOCATIONS_TYP, MAX_REVOCATIONS_BYTES);
  } catch (err) {
    if (err instanceof DocumentError) throw notAList(err.message);
    throw err;
  }
  const kid = doc.header.kid;
  const imported = typeof kid === 'string' ? trusted.get(kid) : undefined;
  if (!imported) throw new LicenseError('KEY_UNKNOWN_KID', { detail: revocationMessages.untrusted(), data: { kid } });
  const { key, alg } = await imported;
  if (!(await signatureHolds(doc, key, alg))) throw new LicenseError('KEY_BAD_SIGNATURE', { detail: revocationMessages.badSignature() });
  return { payload: checkPayload(doc.payload), kid: kid as string, compact: doc.compact };
}
