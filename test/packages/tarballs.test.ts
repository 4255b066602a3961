// The two packages as a product engineer and a vendor install them (SPEC 20): npm pack, then the
// tarballs installed with npm into scratch folders, then the same commands they would run.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DbFactory, requireDb } from '../helpers/dbs.js';
import { installedPackages, nativeBuilds, packBoth, scratchInstall, tarballFiles, type Tarballs } from '../helpers/packages.js';

const exec = promisify(execFile);

/** A small Express host, as a product engineer writes it: the embed, its driver, nothing else. */
const HOST = `
import { readFileSync } from 'node:fs';
import express from 'express';
import { createLicenseManager } from 'license-manager';
const lm = createLicenseManager({
  db: process.env.DATABASE_URL,
  publicKeys: [JSON.parse(readFileSync(process.env.PUBLIC_KEY_FILE, 'utf8'))],
  licenseKey: process.env.HOST_LICENSE_KEY,
  productName: 'Scratch host',
  baseUrl: 'http://127.0.0.1/admin/license',
  authorize: () => true,
  getGlobalAdmins: async () => [],
});
try {
  await lm.start();
} catch (err) {
  console.log(JSON.stringify({ failed: err.constructor.name, message: err.message }));
  process.exit(0);
}
const app = express();
app.use('/admin/license', lm.router());
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => lm.stop().then(() => server.close(() => process.exit(0))));
`;

/** Runs the host until it prints its first line; resolves to that line, parsed, and the process. */
function startHost(dir: string, env: Record<string, string>): Promise<{ line: Record<string, unknown>; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['host.mjs'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ line: JSON.parse(out.slice(0, nl)) as Record<string, unknown>, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`host exited ${code} before it was ready: ${err}`)));
  });
}

describe('the packages as hosts and vendors install them (npm pack)', function () {
  this.timeout(600_000);
  let tarballs: Tarballs;

  before(async function () {
    await requireDb(this, 'postgres');
    tarballs = await packBoth();
  });

  it("the embed's tarball holds no vendor file, no demo and no source map pointing at missing sources", async () => {
    const files = await tarballFiles(tarballs.embed);
    expect(files).to.include.members(['package.json', 'dist/lib/index.js', 'dist/lib/formats/index.js', 'dist/lib/cli/main.js', 'views/license-manager.ejs']);
    const vendorish = files.filter((f) => /portal|registry|issuer|examples|demo|keygen|(^|\/)issue\.|inspect|migrations\/vendor|\.map$/.test(f));
    expect(vendorish).to.deep.equal([]);
    const issuerFiles = await tarballFiles(tarballs.issuer);
    expect(issuerFiles).to.include.members(['dist/lib/index.js', 'dist/lib/cli/index.js', 'dist/lib/cli/keygen.js', 'views/portal/_top.ejs']);
    expect(issuerFiles.filter((f) => /examples|demo|\.map$/.test(f))).to.deep.equal([]);
  });

  it('a vendor makes keys and issues a license; a host on PostgreSQL with the embed and pg alone verifies it and serves api/status', async () => {
    const host = await scratchInstall('host', [tarballs.embed, 'pg']);
    // NOTE: keygen and issue open no database; without install scripts the vendor folder skips compiling
    // better-sqlite3 (the registry's default store), minutes on a busy 2-core machine
    const vendor = await scratchInstall('vendor', [tarballs.issuer, tarballs.embed], ['--ignore-scripts']);
    expect(nativeBuilds(host), 'native builds in the host').to.deep.equal([]);
    expect(installedPackages(host).map((p) => p.split('node_modules/').pop())).to.not.include.members([
      'better-sqlite3',
      'mysql2',
      'express-session',
      'helmet',
      'license-manager-issuer',
    ]);

    const db = await new DbFactory('postgres').fresh('lm_pack');
    const { stdout: serverId } = await exec('npx', ['--no-install', 'license-manager', 'server-id', '--db', db.url], { cwd: host });
    expect(serverId.trim()).to.match(/^[0-9A-F]{8}-[A-Z2-7]{20}$/);

    await exec('npx', ['--no-install', 'license-manager', 'keygen', '--out', 'keys'], { cwd: vendor });
    const { stdout: key } = await exec(
      'npx',
      [
        '--no-install',
        'license-manager',
        'issue',
        '--private-key',
        'keys/private.jwk.json',
        '--server-id',
        serverId.trim(),
        '--licensee',
        'Scratch Co',
        '--type',
        'production',
        '--expires',
        '2030-12-31',
        '--features',
        'sso,audit',
      ],
      { cwd: vendor },
    );

    writeFileSync(join(host, 'host.mjs'), HOST);
    const { line, stop } = await startHost(host, { DATABASE_URL: db.url, PUBLIC_KEY_FILE: join(vendor, 'keys/public.jwk.json'), HOST_LICENSE_KEY: key.trim() });
    try {
      const res = await fetch(`http://127.0.0.1:${line.port as number}/admin/license/api/status`);
      expect(res.status).to.equal(200);
      const status = (await res.json()) as { serverId: string; state: string; license: { licensee: string; features: string[] } };
      expect(status.serverId).to.equal(serverId.trim());
      expect(status.state).to.equal('active');
      expect(status.license.licensee).to.equal('Scratch Co');
      expect(status.license.features).to.deep.equal(['sso', 'audit']);
    } finally {
      stop();
    }
  });

  it('where only the embed is installed: the vendor commands name the issuer package (exit 2), and start() without a driver is a TypeError naming it', async () => {
    const host = await scratchInstall('embed-only', [tarballs.embed]);
    const refused = await exec('npx', ['--no-install', 'license-manager', 'keygen', '--out', 'keys'], { cwd: host }).then(
      () => expect.fail('keygen ran without the issuer package'),
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused.code).to.equal(2);
    expect(refused.stderr.trim().split('\n')).to.have.length(1);
    expect(refused.stderr).to.include('license-manager-issuer');

    writeFileSync(join(host, 'host.mjs'), HOST);
    writeFileSync(join(host, 'public.jwk.json'), JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }));
    const { line } = await startHost(host, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', PUBLIC_KEY_FILE: join(host, 'public.jwk.json') });
    expect(line.failed).to.equal('TypeError');
    expect(line.message).to.match(/"pg" package.*npm install pg/);
  });
});
