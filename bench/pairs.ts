/**
 * Route against a bare Express route, with autocannon (50 connections, ~5 s each). Runs come in
 * pairs, each measuring both routes back to back (which one goes first alternates), so that a
 * burst of load from elsewhere on the machine hits one pair rather than one route. autocannon's
 * load runs in a worker thread so that the main thread serves requests only.
 */
import autocannon from 'autocannon';
import { median } from './stats.js';

const SECONDS = 5;
const PAIRS = 3;
const CONNECTIONS = 50;
const log = (text: string) => process.stderr.write(`  ${text}\n`);

async function load(url: string, seconds: number, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, workers: 1, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requests.average;
}

/** Medians over the pairs: req/s of `url`, and the ratio url / bare. */
export async function againstBare(bareUrl: string, url: string, headers: Record<string, string>): Promise<{ reqPerS: number; ratio: number }> {
  await load(bareUrl, 1, headers);
  await load(url, 1, headers);
  const ours: number[] = [];
  const ratios: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const first = pair % 2 === 0 ? await load(bareUrl, SECONDS, headers) : await load(url, SECONDS, headers);
    const second = pair % 2 === 0 ? await load(url, SECONDS, headers) : await load(bareUrl, SECONDS, headers);
    const [bare, route] = pair % 2 === 0 ? [first, second] : [second, first];
    ours.push(route);
    ratios.push(route / bare);
    log(`pair ${pair + 1}: bare ${Math.round(bare)} req/s, ${new URL(url).pathname} ${Math.round(route)} req/s, ratio ${(route / bare).toFixed(3)}`);
  }
  return { reqPerS: median(ours), ratio: median(ratios) };
}
