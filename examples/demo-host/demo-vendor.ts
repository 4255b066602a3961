import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, type VendorKeyPair } from 'license-manager-issuer';

/**
 * The demo's vendor key pair — DEMO ONLY. It is made on the first start and kept in the demo's
 * data folder (never committed), so that the demo can issue its own license. A real vendor keeps
 * the private key offline and ships only the public key with the product.
 */
export async function demoVendorKeys(dataDir: string): Promise<VendorKeyPair> {
  const path = join(dataDir, 'demo-vendor-key.DEMO-ONLY.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as VendorKeyPair;
  } catch {
    const pair = await generateKeyPair();
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, JSON.stringify({ ...pair, note: 'DEMO ONLY: never use this key pair for real licenses.' }, null, 2), { mode: 0o600 });
    return pair;
  }
}
