import { Crypto } from '@peculiar/webcrypto';
import { EcdsaP256Provider, Ed25519Provider } from './providers.js';

/**
 * The one WebCrypto implementation used for every signature (SPEC 2: @peculiar/webcrypto).
 * A private instance: it holds no secrets, only providers. Ed25519 and ECDSA are served by our
 * providers (providers.ts), registered through the library's provider storage.
 */
export const webcrypto: globalThis.Crypto = new Crypto() as unknown as globalThis.Crypto;
export const subtle: SubtleCrypto = webcrypto.subtle;

const storage = (subtle as unknown as { providers: { set(provider: object): void } }).providers;
storage.set(new Ed25519Provider());
storage.set(new EcdsaP256Provider());

/** Imports a public JWK for verification. */
export function importVerifyKey(jwk: JsonWebKey, params: Algorithm | EcKeyImportParams): Promise<CryptoKey> {
  return subtle.importKey('jwk', jwk, params, false, ['verify']);
}
