/**
 * SPEC 13: `GET api/status` of the License Manager router against a bare `res.json({ ok: true })`
 * route of the same Express app (bench/host.ts), with autocannon (50 connections, ~5 s each).
 * Figures are medians over pairs of runs (bench/pairs.ts): req/s of the api/status runs, and the
 * ratio status / bare of the pairs.
 */
import type { Emit } from './run.js';
import { startBenchHost } from './host.js';
import { againstBare } from './pairs.js';

export async function run(emit: Emit): Promise<void> {
  const host = await startBenchHost();
  try {
    const { reqPerS, ratio } = await againstBare(`${host.origin}/bare`, `${host.origin}/admin/license/api/status`, host.headers);
    emit({ name: 'status_api_req_per_s', value: Math.round(reqPerS), unit: 'req/s' });
    emit({ name: 'status_api_ratio_vs_bare_express', value: Math.round(ratio * 1000) / 1000, unit: 'ratio' });
  } finally {
    await host.close();
  }
}
