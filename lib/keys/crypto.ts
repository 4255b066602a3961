import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Crypto } from '@peculiar/webcrypto';

/**
 * The one WebCrypto implementation used for every signature (SPEC 2: @peculiar/webcrypto).
 * A private instance: it holds no secrets, only providers.
 */
export const webcrypto: globalThis.Crypto = new Crypto() as unknown as globalThis.Crypto;
export const subtle: SubtleCrypto = webcrypto.subtle;

// NOTE: @peculiar/webcrypto keeps an Ed25519 public key as a PEM string and parses it again on
// every verify, which halves the throughput of verification. Keys imported through
// importVerifyKey() also keep a parsed KeyObject, and the instance's own Ed25519 provider (after
// its usual algorithm and key-usage checks) verifies with it. Other keys take the original path.
const parsedKeys = new WeakMap<CryptoKey, KeyObject>();

interface VerifyProvider {
  onVerify(algorithm: Algorithm, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean>;
}
const providers = (subtle as unknown as { providers: { get(name: string): VerifyProvider | null } }).providers;
const ed25519 = providers.get('Ed25519');
if (ed25519) {
  const original = ed25519.onVerify.bind(ed25519);
  ed25519.onVerify = async (algorithm, key, signature, data) => {
    const parsed = parsedKeys.get(key);
    if (!parsed) return original(algorithm, key, signature, data);
    return nodeVerify(null, new Uint8Array(data), parsed, new Uint8Array(signature));
  };
}

/** Imports a public JWK for verification, once; Ed25519 keys keep their parsed form. */
export async function importVerifyKey(jwk: JsonWebKey, params: Algorithm | EcKeyImportParams): Promise<CryptoKey> {
  const key = await subtle.importKey('jwk', jwk, params, false, ['verify']);
  if (params.name === 'Ed25519') parsedKeys.set(key, createPublicKey({ key: jwk as never, format: 'jwk' }));
  return key;
}
