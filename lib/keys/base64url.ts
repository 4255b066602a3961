const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Unpadded base64url in its one canonical spelling (RFC 4648 section 3.5: the unused bits of the
 * last character are zero).
 */
export function isBase64url(text: string): boolean {
  if (!BASE64URL.test(text)) return false;
  const rest = text.length % 4;
  if (rest === 1) return false;
  if (rest === 0) return true;
  // NOTE: decoders ignore the unused low bits of the last character, so without this check
  // "…A" and "…B" decode to the same bytes: a changed signature would still verify.
  const last = ALPHABET.indexOf(text[text.length - 1]!);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

export function decodeBase64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

export function encodeBase64url(data: Uint8Array | string): string {
  return Buffer.from(data as Uint8Array).toString('base64url');
}
