/**
 * SPEC 17.1: a Prometheus scrape, `GET metrics` of the License Manager router, against the same
 * Express app's bare `res.json({ ok: true })` route (bench/host.ts), with autocannon. A scrape
 * serialises the snapshot and makes no query, so it should stay near the bare route (goal ≥ 0.8).
 */
import type { Emit } from './run.js';
import { startBenchHost } from './host.js';
import { againstBare } from './pairs.js';

export async function run(emit: Emit): Promise<void> {
  const host = await startBenchHost();
  try {
    const { reqPerS, ratio } = await againstBare(`${host.origin}/bare`, `${host.origin}/admin/license/metrics`, host.headers);
    emit({ name: 'metrics_scrape_req_per_s', value: Math.round(reqPerS), unit: 'req/s' });
    emit({ name: 'metrics_ratio_vs_bare_express', value: Math.round(ratio * 1000) / 1000, unit: 'ratio' });
  } finally {
    await host.close();
  }
}
