/**
 * SPEC 13, the instance core:
 * - `has_feature_ns_per_op`: `lm.hasFeature()` on a started manager (a snapshot read).
 * - `start_ms_sqlite`: `createLicenseManager` + `start()` on a fresh SQLite file, mail off;
 *   median of several starts, each on its own new file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLicenseManager, type LicenseManager } from '../lib/index.js';
import { buildPayload, generateKeyPair, signLicenseKey } from '../lib/formats/index.js';
import { knexConfigFromUrl } from '../lib/store/connect.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

export const order = 10;

export async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-bench-core-'));
  const pair = await generateKeyPair();
  const make = (file: string): LicenseManager =>
    createLicenseManager({
      db: knexConfigFromUrl(`sqlite:${join(dir, file)}`),
      publicKeys: [pair.publicJwk],
      productName: 'Bench',
      baseUrl: 'http://localhost/admin/license',
      authorize: () => true,
      getGlobalAdmins: async () => [],
    });
  try {
    const starts: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t0 = performance.now();
      const lm = make(`start-${i}.db`);
      await lm.start();
      starts.push(performance.now() - t0);
      await lm.stop();
    }
    // the first start also loads modules (knex dialect, templates): report the steady state
    emit({ name: 'start_ms_sqlite', value: Math.round(median(starts.slice(1)) * 10) / 10, unit: 'ms' });

    const lm = make('features.db');
    await lm.start();
    const payload = buildPayload({
      serverId: lm.serverId,
      licensee: 'Bench',
      type: 'production',
      expires: '2099-12-31',
      features: ['sso', 'audit', 'portfolio'],
      now: new Date(),
    });
    await lm.setLicense(await signLicenseKey(payload, pair.privateJwk));
    const names = ['sso', 'missing', 'audit', 'nope'];
    let hits = 0;
    const N = 20_000_000;
    for (let i = 0; i < 1_000_000; i++) if (lm.hasFeature(names[i & 3]!)) hits++;
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) if (lm.hasFeature(names[i & 3]!)) hits++;
      rounds.push(Number(process.hrtime.bigint() - t0) / N);
    }
    if (hits === 0) throw new Error('hasFeature never answered true: the benchmark is wrong');
    emit({ name: 'has_feature_ns_per_op', value: Math.round(median(rounds) * 100) / 100, unit: 'ns/op' });
    await lm.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
