import type { PublicJwk } from '../keys/jwk.js';
import { UsageError, type CliIo } from './io.js';
import { readText } from './files.js';

const EXPECTED = 'a JWK (JSON object), a list of JWKs, or a JWK Set ({"keys": [...]}), such as public.jwk.json from keygen';

/** The JWKs of one public key file: a JWK, a list, or a JWK Set; anything else is a sentence saying what is expected. */
export function jwksOf(text: string, path: string): PublicJwk[] {
  if (/^\s*-----BEGIN /.test(text)) {
    throw new UsageError(`${path} is a PEM file; give the vendor public key as ${EXPECTED}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON; give the vendor public key as ${EXPECTED}.`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  // a file holding both halves ({ privateJwk, publicJwk }, like the demo's key file): its public half
  if (isObject(parsed) && isObject(parsed.publicJwk) && !('kty' in parsed)) parsed = parsed.publicJwk;
  const list = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  if (list.length === 0) throw new UsageError(`${path} holds no key; give the vendor public key as ${EXPECTED}.`);
  for (const jwk of list) {
    if (!isObject(jwk) || typeof jwk.kty !== 'string') {
      throw new UsageError(
        `${path} holds ${jwk === null ? 'null' : Array.isArray(jwk) ? 'a nested list' : typeof jwk === 'object' ? 'an object without "kty"' : `a ${typeof jwk}`}, not a key; give the vendor public key as ${EXPECTED}.`,
      );
    }
    if ('d' in jwk) throw new UsageError(`${path} holds a private key; give the vendor's public key (public.jwk.json), never the private one.`);
  }
  return list as PublicJwk[];
}

/**
 * Vendor public keys from `--public-key` files (repeatable), else `LICENSE_PUBLIC_KEYS_FILE` when
 * `required`: every command that verifies keys reads them this one way.
 */
export async function publicKeysFrom(io: CliIo, files: string[] | undefined, options: { required: boolean } = { required: true }): Promise<PublicJwk[]> {
  const paths = files?.length ? files : options.required && io.env.LICENSE_PUBLIC_KEYS_FILE ? [io.env.LICENSE_PUBLIC_KEYS_FILE] : [];
  if (paths.length === 0 && options.required) throw new UsageError('Give the vendor public key with --public-key FILE or LICENSE_PUBLIC_KEYS_FILE.');
  const keys: PublicJwk[] = [];
  for (const path of paths) keys.push(...jwksOf(await readText(io.cwd, path, 'public key'), path));
  return keys;
}
