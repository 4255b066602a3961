import { createPrivateKey, hkdfSync } from 'node:crypto';
import { thumbprint, type PrivateJwk, type PublicJwk } from '../keys/jwk.js';

/** The instance's own signing key (SPEC 18.1): it signs usage reports, never licenses. */
export interface InstanceKey {
  /** RFC 7638 thumbprint of the public key: the instance key ID */
  kid: string;
  publicJwk: PublicJwk;
  privateJwk: PrivateJwk;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): this prefix, then the seed.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const INFO = 'license-manager instance key v1';

/**
 * Derives the Ed25519 pair from the stored secret and the server ID (HKDF-SHA-256, the server ID
 * as salt). Nodes agree because both inputs are in the database; a moved database has a new
 * server ID, so a new key; a staging copy brings the secret but has its own (stable) server ID,
 * so it always gets the same staging key, and production's key never signs for it. Pure.
 */
export function deriveInstanceKey(secretHex: string, serverId: string): InstanceKey {
  if (!/^[0-9a-f]{64}$/.test(secretHex)) throw new TypeError('The instance key secret must be 32 bytes of hex.');
  const seed = Buffer.from(hkdfSync('sha256', Buffer.from(secretHex, 'hex'), Buffer.from(serverId, 'utf8'), INFO, 32));
  const jwk = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
  const kid = thumbprint(publicJwk);
  return { kid, publicJwk, privateJwk: { ...publicJwk, d: jwk.d as string } };
}
