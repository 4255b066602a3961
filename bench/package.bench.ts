/**
 * SPEC 20: what embedding costs a host. Both packages packed (`npm pack`), the embed's tarball
 * installed with `--omit=dev` into an empty folder beside `pg` alone: packages, MiB on disk and
 * native builds; then the resident memory a started manager on PostgreSQL serving `api/status` adds
 * to a bare Express process in the same folder (each process answers 500 requests, then reports its
 * RSS; median of three processes each).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emit } from './run.js';
import { median } from './stats.js';
import { folderBytes, installedPackages, nativeBuilds, packBoth, scratchInstall } from '../test/helpers/packages.js';
import { DbFactory } from '../test/helpers/dbs.js';
import { generateKeyPair } from '../lib/formats/index.js';

const BARE = `
import express from 'express';
const app = express();
app.get('/admin/license/api/status', (req, res) => res.json({ ok: true }));
app.get('/rss', (req, res) => res.json({ rss: process.memoryUsage().rss }));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

const WITH_MANAGER = `
import express from 'express';
import { createLicenseManager } from 'license-manager';
const lm = createLicenseManager({
  db: process.env.DATABASE_URL, publicKeys: [JSON.parse(process.env.PUBLIC_JWK)], productName: 'Bench host',
  baseUrl: 'http://127.0.0.1/admin/license', authorize: () => true, getGlobalAdmins: async () => [],
});
await lm.start();
const app = express();
app.use('/admin/license', lm.router());
app.get('/rss', (req, res) => res.json({ rss: process.memoryUsage().rss }));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

async function rssAfterLoad(dir: string, file: string, env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { port: number }).port);
      });
      child.on('exit', (code) => reject(new Error(`${file} exited ${code}`)));
    });
    for (let i = 0; i < 500; i++) await (await fetch(`http://127.0.0.1:${port}/admin/license/api/status`)).arrayBuffer();
    return ((await (await fetch(`http://127.0.0.1:${port}/rss`)).json()) as { rss: number }).rss;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function run(emit: Emit): Promise<void> {
  const tarballs = await packBoth();
  const host = await scratchInstall('bench-host', [tarballs.embed, 'pg']);
  emit({ name: 'embed_install_packages', value: installedPackages(host).length, unit: 'packages' });
  emit({ name: 'embed_install_mib', value: Math.round((folderBytes(join(host, 'node_modules')) / 2 ** 20) * 10) / 10, unit: 'MiB' });
  emit({ name: 'embed_native_builds', value: nativeBuilds(host).length, unit: 'packages' });

  writeFileSync(join(host, 'bare.mjs'), BARE);
  writeFileSync(join(host, 'managed.mjs'), WITH_MANAGER);
  const factory = new DbFactory('postgres');
  const db = await factory.fresh('lm_bench_rss');
  const { publicJwk } = await generateKeyPair();
  try {
    const bare: number[] = [];
    const managed: number[] = [];
    for (let i = 0; i < 3; i++) {
      bare.push(await rssAfterLoad(host, 'bare.mjs', {}));
      managed.push(await rssAfterLoad(host, 'managed.mjs', { DATABASE_URL: db.url, PUBLIC_JWK: JSON.stringify(publicJwk) }));
    }
    emit({ name: 'embed_rss_mib', value: Math.round(((median(managed) - median(bare)) / 2 ** 20) * 10) / 10, unit: 'MiB' });
  } finally {
    await factory.dropAll();
  }
}
