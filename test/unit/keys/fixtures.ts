/**
 * Fixtures for the key tests: vendor key pairs, a valid payload, and ways to craft keys that our
 * own signer refuses to make (bad claims, other algorithms), through jose or by hand.
 */
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { expect } from 'chai';
import { LicenseError, type LicenseErrorCode } from '../../../lib/errors.js';
import { generateKeyPair, type VendorKeyPair } from '../../../lib/formats/index.js';
import type { LicensePayload } from '../../../lib/keys/claims.js';
import type { PublicJwk } from '../../../lib/keys/jwk.js';

export const SERVER_ID = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
export const NOW = Date.UTC(2026, 0, 15, 12) / 1000;

export function validPayload(overrides: Partial<Record<keyof LicensePayload, unknown>> = {}): LicensePayload {
  return {
    v: 1,
    lid: randomUUID(),
    sub: 'sub-0001',
    licensee: 'Acme Corp',
    email: 'it@acme.example',
    serverId: SERVER_ID,
    type: 'production',
    edition: 'enterprise',
    features: ['sso', 'audit'],
    limits: { loc: 500_000, users: 100 },
    tags: ['true-up'],
    iat: NOW,
    nbf: NOW,
    exp: NOW + 365 * 86_400,
    grace: 14,
    ...overrides,
  } as LicensePayload;
}

const pairs = new Map<string, Promise<VendorKeyPair>>();
/** One key pair per name and algorithm for the whole run (generating them is the slow part). */
export function vendor(name: string, alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<VendorKeyPair> {
  const id = `${name}/${alg}`;
  let pair = pairs.get(id);
  if (!pair) {
    pair = generateKeyPair(alg);
    pairs.set(id, pair);
  }
  return pair;
}

export const publicKeysOf = (...p: VendorKeyPair[]): PublicJwk[] => p.map((x) => x.publicJwk as PublicJwk);

const b64 = (data: string | Uint8Array) => Buffer.from(data as Uint8Array).toString('base64url');

/**
 * Signs any header and payload with jose, bypassing our signer's claim checks.
 * `payload` is JSON-encoded unless it is already a string.
 */
export async function joseSign(pair: VendorKeyPair, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const alg = pair.publicJwk.alg as string;
  const key = await jose.importJWK(pair.privateJwk as jose.JWK, alg);
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new jose.CompactSign(bytes).setProtectedHeader({ alg, typ: 'license+jws', kid: pair.kid, ...header } as jose.CompactJWSHeaderParameters).sign(key);
}

/** A compact JWS assembled by hand: no library would make most of these. */
export function craft(header: unknown, payload: unknown, signature: string | Uint8Array = new Uint8Array(64)): string {
  const enc = (v: unknown) => b64(typeof v === 'string' ? v : JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.${typeof signature === 'string' ? signature : b64(signature)}`;
}

/** Awaits a refusal and checks it is a LicenseError with the code; returns it for more checks. */
export async function refused(promise: Promise<unknown>, code: LicenseErrorCode): Promise<LicenseError> {
  let accepted = false;
  try {
    await promise;
    accepted = true;
  } catch (err) {
    expect(err, `expected a LicenseError ${code}, got ${String(err)}`).to.be.instanceOf(LicenseError);
    expect((err as LicenseError).code, (err as Error).message).to.equal(code);
    expect((err as LicenseError).message)
      .to.be.a('string')
      .and.not.equal('');
    return err as LicenseError;
  }
  expect(accepted, `expected ${code}, but the key was accepted`).to.equal(false);
  throw new Error('unreachable');
}
