import { LicenseError } from '../errors.js';
import { decodeBase64url, isBase64url } from './base64url.js';

export const MAX_KEY_BYTES = 16 * 1024;
const ARMOUR = /-----(BEGIN|END) LICENSE KEY-----/g;
const WHITE_SPACE = /\s+/g;

export interface ParsedKey {
  /** `header.payload`, the bytes that were signed. */
  signingInput: string;
  header: unknown;
  payload: unknown;
  signature: Buffer;
  /** The key as one line, armour and white space removed. */
  compact: string;
}

/**
 * Reads a pasted key: surrounding white space, line breaks (CRLF too) and the armour lines are
 * accepted; anything over 16 KiB is refused before it is parsed.
 */
export function normalizeKey(input: unknown): string {
  if (typeof input !== 'string') throw new LicenseError('KEY_MALFORMED', { detail: 'A license key must be text.' });
  if (input.length > MAX_KEY_BYTES || Buffer.byteLength(input, 'utf8') > MAX_KEY_BYTES) {
    throw new LicenseError('KEY_TOO_LARGE');
  }
  const compact = input.replace(ARMOUR, '').replace(WHITE_SPACE, '');
  if (compact.length === 0) throw new LicenseError('KEY_MALFORMED', { detail: 'The license key is empty.' });
  return compact;
}

function decodeJson(part: string, what: 'header' | 'payload'): unknown {
  try {
    return JSON.parse(decodeBase64url(part).toString('utf8'));
  } catch (cause) {
    throw new LicenseError('KEY_MALFORMED', { detail: `The ${what} of this license key is not valid JSON.`, cause });
  }
}

export function parseKey(input: unknown): ParsedKey {
  const compact = normalizeKey(input);
  const parts = compact.split('.');
  // NOTE: an empty signature is the shape of an unsecured JWS (alg "none"): it is let through
  // here so that the header check can name the algorithm; an empty signature never verifies.
  if (parts.length !== 3 || parts[0]!.length === 0 || parts[1]!.length === 0 || !parts.every(isBase64url)) {
    throw new LicenseError('KEY_MALFORMED');
  }
  const [h, p, s] = parts as [string, string, string];
  return {
    signingInput: `${h}.${p}`,
    header: decodeJson(h, 'header'),
    payload: decodeJson(p, 'payload'),
    signature: decodeBase64url(s),
    compact,
  };
}
