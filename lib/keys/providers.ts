/**
 * Our two signature providers for @peculiar/webcrypto, registered through its provider storage
 * (`subtle.providers.set(...)`, the extension point webcrypto-core documents). They keep each key
 * as a parsed node:crypto KeyObject, so a verification is one native call.
 *
 * NOTE: @peculiar/webcrypto's own Ed25519 and ECDSA providers keep a public key as PEM text or
 * ASN.1 and parse it again on every verify: Ed25519 at half speed, ES256 at a fifth of
 * `node:crypto.verify`. Ours take the same algorithm, usage and key checks (inherited from
 * webcrypto-core's base classes) and only the license formats: JWK keys, Ed25519 and P-256 with
 * SHA-256, signatures as JWS wants them (64 bytes; ES256 as r||s, never DER).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import * as core from 'webcrypto-core';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function wrap(object: KeyObject, algorithm: KeyAlgorithm, extractable: boolean, usages: KeyUsage[]): CryptoKey {
  const type = object.type === 'private' ? 'private' : 'public';
  const key = core.CryptoKey.create(
    algorithm,
    type,
    extractable,
    usages.filter((u) => (type === 'private' ? u === 'sign' : u === 'verify')),
  );
  Object.freeze(key);
  keyObjects.set(key, object);
  return key;
}

function unwrap(key: CryptoKey): KeyObject {
  const object = keyObjects.get(key);
  if (!object) throw new core.OperationError('key: was not made by this provider');
  return object;
}

function importJwk(format: KeyFormat, keyData: JsonWebKey | ArrayBuffer): KeyObject {
  if (format !== 'jwk') throw new core.UnsupportedOperationError(`importKey as ${format}; license keys use JWK`);
  const jwk = keyData as JsonWebKey;
  return typeof jwk.d === 'string' ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPublicKey({ key: jwk as never, format: 'jwk' });
}

function exportJwk(format: KeyFormat, key: CryptoKey): JsonWebKey {
  if (format !== 'jwk') throw new core.UnsupportedOperationError(`exportKey as ${format}; license keys use JWK`);
  return unwrap(key).export({ format: 'jwk' }) as JsonWebKey;
}

const bytes = (data: ArrayBuffer) => new Uint8Array(data);

/** Ed25519 (EdDSA) over node:crypto KeyObjects. */
export class Ed25519Provider extends core.Ed25519Provider {
  override async onGenerateKey(_algorithm: Algorithm, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKeyPair> {
    const pair = generateKeyPairSync('ed25519');
    const alg = { name: this.name };
    return { privateKey: wrap(pair.privateKey, alg, extractable, usages), publicKey: wrap(pair.publicKey, alg, true, usages) };
  }

  override async onImportKey(
    format: KeyFormat,
    keyData: JsonWebKey | ArrayBuffer,
    _algorithm: Algorithm,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const jwk = keyData as JsonWebKey;
    if (format === 'jwk' && (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519')) throw new core.OperationError('keyData: is not an Ed25519 JWK');
    return wrap(importJwk(format, keyData), { name: this.name }, extractable, usages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<JsonWebKey> {
    return exportJwk(format, key);
  }

  override async onSign(_algorithm: Algorithm, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    return new Uint8Array(sign(null, bytes(data), unwrap(key))).buffer;
  }

  override async onVerify(_algorithm: Algorithm, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean> {
    return verify(null, bytes(data), unwrap(key), bytes(signature));
  }
}

/** ECDSA on P-256 with SHA-256 (ES256), signatures as 64-byte r||s (IEEE P1363, as JWS wants). */
export class EcdsaP256Provider extends core.EcdsaProvider {
  override namedCurves = ['P-256'];
  override hashAlgorithms = ['SHA-256'];

  override async onGenerateKey(_algorithm: EcKeyGenParams, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKeyPair> {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const alg = { name: this.name, namedCurve: 'P-256' } as KeyAlgorithm;
    return { privateKey: wrap(pair.privateKey, alg, extractable, usages), publicKey: wrap(pair.publicKey, alg, true, usages) };
  }

  override async onImportKey(
    format: KeyFormat,
    keyData: JsonWebKey | ArrayBuffer,
    algorithm: EcKeyImportParams,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    this.checkNamedCurve(algorithm.namedCurve);
    const jwk = keyData as JsonWebKey;
    if (format === 'jwk' && (jwk.kty !== 'EC' || jwk.crv !== 'P-256')) throw new core.OperationError('keyData: is not a P-256 JWK');
    return wrap(importJwk(format, keyData), { name: this.name, namedCurve: 'P-256' } as KeyAlgorithm, extractable, usages);
  }

  override async onExportKey(format: KeyFormat, key: CryptoKey): Promise<JsonWebKey> {
    return exportJwk(format, key);
  }

  override async onSign(_algorithm: EcdsaParams, key: CryptoKey, data: ArrayBuffer): Promise<ArrayBuffer> {
    return new Uint8Array(sign('sha256', bytes(data), { key: unwrap(key), dsaEncoding: 'ieee-p1363' })).buffer;
  }

  override async onVerify(_algorithm: EcdsaParams, key: CryptoKey, signature: ArrayBuffer, data: ArrayBuffer): Promise<boolean> {
    return verify('sha256', bytes(data), { key: unwrap(key), dsaEncoding: 'ieee-p1363' }, bytes(signature));
  }
}
