/**
 * SPEC 13: `GET api/status` of the License Manager router against a bare `res.json({ ok: true })`
 * route of the same Express app, with autocannon (50 connections, ~5 s each).
 *
 * The app is the way a host mounts the module: a real manager on a fresh SQLite file with a
 * license and some usage, its router at /admin/license, and authorize a synchronous check of a
 * request header (what a host's session lookup would be after its own middleware). autocannon's
 * load runs in a worker thread so that the main thread serves requests only.
 *
 * Runs come in pairs, each pair measuring both routes back to back (which one goes first
 * alternates), so that a burst of load from elsewhere on the machine hits one pair rather than
 * one route. Figures are medians: req/s of the api/status runs, and the ratio status / bare of
 * the pairs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import { createLicenseManager } from '../lib/manager.js';
import { buildPayload, generateKeyPair, signLicenseKey, type PrivateJwk, type PublicJwk } from '../lib/issuer/index.js';
import type { Emit } from './run.js';
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

export async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-bench-status-'));
  const { publicJwk, privateJwk } = await generateKeyPair();
  const lm = createLicenseManager({
    db: `sqlite:${join(dir, 'bench.db')}`,
    publicKeys: [publicJwk as PublicJwk],
    productName: 'Bench Host',
    baseUrl: 'http://127.0.0.1/admin/license',
    authorize: (req) => req.headers['x-admin'] === 'yes',
    getGlobalAdmins: async () => [],
  });
  await lm.start();
  const server = await (async () => {
    const key = await signLicenseKey(
      buildPayload({ serverId: lm.serverId, licensee: 'Bench Corp', type: 'production', expires: '2030-12-31', features: ['sso', 'audit'], loc: 1_000_000, now: new Date() }),
      privateJwk as PrivateJwk,
    );
    await lm.setLicense(key, { actor: 'bench' });
    for (let i = 0; i < 20; i++) await lm.recordAnalysis({ project: `project-${i}`, branch: 'main', loc: 10_000 + i });
    const app = express();
    app.get('/bare', (_req, res) => {
      res.json({ ok: true });
    });
    app.use('/admin/license', lm.router());
    return new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  })();
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = { 'x-admin': 'yes' };
    const bareUrl = `${origin}/bare`;
    const statusUrl = `${origin}/admin/license/api/status`;
    await load(bareUrl, 1, headers);
    await load(statusUrl, 1, headers);
    const status: number[] = [];
    const ratios: number[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      let bare: number;
      let ours: number;
      if (pair % 2 === 0) {
        bare = await load(bareUrl, SECONDS, headers);
        ours = await load(statusUrl, SECONDS, headers);
      } else {
        ours = await load(statusUrl, SECONDS, headers);
        bare = await load(bareUrl, SECONDS, headers);
      }
      status.push(ours);
      ratios.push(ours / bare);
      log(`pair ${pair + 1}: bare ${Math.round(bare)} req/s, api/status ${Math.round(ours)} req/s, ratio ${(ours / bare).toFixed(3)}`);
    }
    emit({ name: 'status_api_req_per_s', value: Math.round(median(status)), unit: 'req/s' });
    emit({ name: 'status_api_ratio_vs_bare_express', value: Math.round(median(ratios) * 1000) / 1000, unit: 'ratio' });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await lm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
