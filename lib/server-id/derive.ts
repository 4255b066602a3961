import { createHash, randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 100 random bits as 20 RFC 4648 base32 characters: the dataset part. */
export function newDatasetPart(): string {
  const bytes = randomBytes(13); // 104 bits; the last 4 are dropped
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  bits >>= 4n;
  let out = '';
  for (let i = 0; i < 20; i++) {
    out = BASE32[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** First 8 hex characters (upper case) of SHA-256 of the identity: the database part. */
export function databasePart(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 8).toUpperCase();
}

export function serverIdOf(identity: string, dataset: string): string {
  return `${databasePart(identity)}-${dataset}`;
}

export function checksumOf(serverId: string, identity: string): string {
  return createHash('sha256').update(`${serverId}|${identity}`).digest('hex');
}

export function datasetOf(serverId: string): string {
  return serverId.slice(serverId.indexOf('-') + 1);
}
