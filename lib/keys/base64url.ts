const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function isBase64url(text: string): boolean {
  return BASE64URL.test(text) && text.length % 4 !== 1;
}

export function decodeBase64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

export function encodeBase64url(data: Uint8Array | string): string {
  return Buffer.from(data as Uint8Array).toString('base64url');
}
