/**
 * The app the HTTP benchmarks load, the way a host mounts the module: a real manager on a fresh
 * SQLite file with a license and some usage, its router at /admin/license, a bare
 * `res.json({ ok: true })` route at /bare, and authorize a synchronous check of a request header
 * (what a host's session lookup would be after its own middleware).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createLicenseManager } from '../lib/manager.js';
import { buildPayload, generateKeyPair, signLicenseKey, type PrivateJwk, type PublicJwk } from '../lib/formats/index.js';

export interface BenchHost {
  origin: string;
  /** what authorize accepts */
  headers: Record<string, string>;
  close(): Promise<void>;
}

export async function startBenchHost(): Promise<BenchHost> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-bench-host-'));
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
  const key = await signLicenseKey(
    buildPayload({
      serverId: lm.serverId,
      licensee: 'Bench Corp',
      type: 'production',
      expires: '2030-12-31',
      features: ['sso', 'audit'],
      loc: 1_000_000,
      now: new Date(),
    }),
    privateJwk as PrivateJwk,
  );
  await lm.setLicense(key, { actor: 'bench' });
  for (let i = 0; i < 20; i++) await lm.recordAnalysis({ project: `project-${i}`, branch: 'main', loc: 10_000 + i });
  const app = express();
  app.get('/bare', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/admin/license', lm.router());
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers: { 'x-admin': 'yes' },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await lm.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
