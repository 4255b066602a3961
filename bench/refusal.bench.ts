/**
 * `key_too_large_refusal_ms`: how long `verifyLicenseKey` takes to refuse 1 MiB pasted as a key
 * (KEY_TOO_LARGE, checked before any decoding or JSON); median of 50 refusals. The figure the
 * pasting test used to assert on the wall clock (< 50 ms).
 */
import { verifyLicenseKey } from '../lib/index.js';
import { generateKeyPair } from '../lib/formats/index.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

export async function run(emit: Emit): Promise<void> {
  const { publicJwk } = await generateKeyPair();
  const huge = '{'.repeat(1 << 20);
  const times: number[] = [];
  for (let i = 0; i < 55; i++) {
    const t0 = performance.now();
    const code = await verifyLicenseKey(huge, { publicKeys: [publicJwk] }).then(
      () => 'accepted',
      (err: { code?: string }) => err.code,
    );
    if (code !== 'KEY_TOO_LARGE') throw new Error(`1 MiB was answered ${code}, not KEY_TOO_LARGE: the benchmark is wrong`);
    if (i >= 5) times.push(performance.now() - t0);
  }
  emit({ name: 'key_too_large_refusal_ms', value: Math.round(median(times) * 1000) / 1000, unit: 'ms' });
}
