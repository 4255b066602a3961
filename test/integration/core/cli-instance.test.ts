import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

function capture(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env,
    now: () => new Date('2026-11-23T12:00:00Z'),
    cwd,
  };
  return { io, out };
}

withDbs('instance CLI: server-id, status, set-license', (dbs) => {
  // NOTE: the CLI refuses a SQLite path that does not exist (SPEC 15.6); an empty file is an empty database
  const freshDb = async () => {
    const db = await dbs.fresh();
    if (db.kind === 'sqlite') writeFileSync(db.name, '');
    return db;
  };
  let vendor: TestVendor;
  let dir: string;
  before(async () => {
    vendor = await testVendor();
    dir = mkdtempSync(join(tmpdir(), 'lm-cli-'));
    writeFileSync(join(dir, 'vendor.pub.json'), JSON.stringify(vendor.pair.publicJwk));
  });

  it('prints the server ID, sets a license from a file, and shows the status as text and JSON', async () => {
    const db = await freshDb();
    const a = capture(dir);
    expect(await runCli(['server-id', '--db', db.url], a.io)).to.equal(0);
    const serverId = a.out.stdout.trim();
    expect(serverId).to.match(/^[0-9A-F]{8}-[A-Z2-7]{20}$/);
    const again = capture(dir);
    await runCli(['server-id', '--db', db.url], again.io);
    expect(again.out.stdout.trim()).to.equal(serverId);

    writeFileSync(join(dir, 'license.key'), await vendor.issue({ serverId, licensee: 'Acme CLI', features: ['sso'] }));
    const set = capture(dir);
    expect(await runCli(['set-license', '--db', db.url, '--file', 'license.key', '--public-key', 'vendor.pub.json'], set.io), set.out.stderr).to.equal(0);
    expect(set.out.stdout).to.include('state:      active').and.include('Acme CLI');
    // SPEC 16: exp 2027-06-01T00:00Z is valid until 31 May 2027, as the page and the emails say
    expect(set.out.stdout)
      .to.match(/valid until 31 May 2027 \(\d+ days left\)/)
      .and.not.include('2027-06-01');

    const json = capture(dir, { LICENSE_PUBLIC_KEYS_FILE: join(dir, 'vendor.pub.json') });
    expect(await runCli(['status', '--db', db.url, '--json'], json.io), json.out.stderr).to.equal(0);
    const status = JSON.parse(json.out.stdout);
    expect(status).to.include({ serverId, state: 'active' });
    expect(status.license.features).to.deep.equal(['sso']);
    expect(Object.keys(status)).to.include.members(['serverId', 'state', 'license', 'loc', 'warnings']);
  });

  it('refuses a key for another server with exit code 1, the code and a sentence, and changes nothing', async () => {
    const db = await freshDb();
    const other = await vendor.issue({ serverId: 'ABCDEF01-AAAAAAAAAAAAAAAAAAAA' });
    const run = capture(dir);
    expect(await runCli(['set-license', '--db', db.url, '--key', other, '--public-key', 'vendor.pub.json'], run.io)).to.equal(1);
    expect(run.out.stderr).to.match(/^SERVER_ID_MISMATCH: .*ABCDEF01-AAAAAAAAAAAAAAAAAAAA/);
    expect(run.out.stderr).to.not.include('    at ');
    const status = capture(dir);
    await runCli(['status', '--db', db.url, '--public-key', 'vendor.pub.json', '--json'], status.io);
    expect(JSON.parse(status.out.stdout).state).to.equal('none');
  });

  it('answers usage errors with exit code 2', async () => {
    const db = await freshDb();
    expect(await runCli(['set-license', '--db', db.url, '--public-key', 'vendor.pub.json'], capture(dir).io)).to.equal(2);
    expect(await runCli(['status', '--db', db.url], capture(dir).io)).to.equal(2); // no public key anywhere
    expect(await runCli(['status'], capture(dir).io)).to.equal(2);
  });
});

describe('instance CLI: a database it cannot reach', () => {
  it('status against a closed port names the host and the cause, once, and says nothing of changes (a read)', async function () {
    this.timeout(30_000);
    const vendor = await testVendor();
    const dir = mkdtempSync(join(tmpdir(), 'lm-cli-'));
    writeFileSync(join(dir, 'vendor.pub.json'), JSON.stringify(vendor.pair.publicJwk));
    const run = capture(dir);
    const code = await runCli(['status', '--db', 'postgres://postgres@127.0.0.1:1/app', '--public-key', 'vendor.pub.json'], run.io);
    expect(code).to.equal(1);
    expect(run.out.stderr).to.equal('error: The database could not be reached (connect ECONNREFUSED 127.0.0.1:1).\n');
    expect(run.out.stderr).to.not.match(/nothing was changed|DATABASE_UNAVAILABLE/);
  });
});
