import { randomUUID } from 'node:crypto';
import { generateKeyPair, signLicenseKey, type VendorKeyPair } from '../../lib/formats/index.js';
import type { LicensePayload } from '../../lib/keys/claims.js';

/** A throw-away vendor, made at run time: tests never rely on a committed key. */
export interface TestVendor {
  pair: VendorKeyPair;
  issue(overrides: Partial<LicensePayload> & { serverId: string }): Promise<string>;
}

export const DAY = 86_400;
export const at = (iso: string) => new Date(iso);
export const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

export async function testVendor(): Promise<TestVendor> {
  const pair = await generateKeyPair();
  return {
    pair,
    issue: (overrides) =>
      signLicenseKey(
        {
          v: 1,
          lid: randomUUID(),
          sub: 'sub-1',
          licensee: 'Acme Corp',
          type: 'production',
          edition: 'enterprise',
          features: ['sso', 'audit'],
          limits: {},
          tags: [],
          iat: seconds('2026-01-01T00:00:00Z'),
          nbf: seconds('2026-01-01T00:00:00Z'),
          exp: seconds('2027-06-01T00:00:00Z'),
          ...overrides,
        },
        pair.privateJwk,
      ),
  };
}
