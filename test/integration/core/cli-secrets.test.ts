/**
 * SPEC 15.6 for the CLI: real commands, their real output grepped. No password in what they
 * print, sentences instead of stack traces or bare errno codes, a missing SQLite file refused
 * instead of created, and one way to read public keys (with a sentence for null or a PEM file).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { requireDb, PG_URL } from '../../helpers/dbs.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PASSWORD = 'Pw-9f3c1e7a';
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

interface Run {
  code: number | null;
  output: string;
}

/** Runs the real CLI (tsx lib/cli/main.ts); resolves when `until` matches the output (then SIGTERM) or it exits. */
function cli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; until?: RegExp } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stopping = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.until && !stopping && options.until.test(output)) {
        stopping = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

function capture(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env, now: () => new Date('2026-11-23T12:00:00Z'), cwd };
  return { io, out };
}

describe('the CLI keeps secrets out and speaks in sentences (SPEC 15.6)', function () {
  this.timeout(90_000);
  let dir: string;
  let smtp: SmtpTestServer;
  let vendor: TestVendor;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lm-cli-secrets-'));
    smtp = await startSmtp();
    vendor = await testVendor();
    writeFileSync(join(dir, 'vendor.pub.json'), JSON.stringify(vendor.pair.publicJwk));
  });
  after(async () => {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve prints the SMTP URL with its password masked, and the password appears nowhere in its output', async () => {
    const smtpUrl = `smtp://demo:${PASSWORD}@127.0.0.1:${smtp.port}`;
    const run = await cli(['serve', '--port', '0', '--data-dir', join(dir, 'demo')], {
      env: { SMTP_URL: smtpUrl, PORT: '' },
      until: /Stopping|demo ready[^\n]*\n[^\n]*\n/,
    });
    expect(run.output).to.include('License Manager demo ready');
    expect(run.output).to.include(`mail goes to smtp://demo:***@127.0.0.1:${smtp.port}`);
    expect(run.output).to.not.include(PASSWORD);
  });

  it('server-id with a PostgreSQL URL whose login fails: exit 1, a sentence, no password, no stack trace', async function () {
    await requireDb(this, 'postgres');
    const url = new URL(PG_URL);
    const bad = `postgres://no_such_role_${Date.now()}:${PASSWORD}@${url.host}/test`;
    const run = await cli(['server-id', '--db', bad]);
    expect(run.code).to.equal(1);
    expect(run.output).to.match(/^error: The database refused the user name or password \(.+\)\.$/m);
    expect(run.output).to.not.include(PASSWORD);
    expect(run.output).to.not.match(STACK_LINE);
  });

  it('a database URL that cannot be parsed is named without its password', async () => {
    const run = capture(dir);
    expect(await runCli(['server-id', '--db', `postgres://u:${PASSWORD}@[not-a-host/db`], run.io)).to.equal(2);
    expect(run.out.stderr).to.include('postgres://u:***@[not-a-host/db');
    expect(run.out.stderr).to.not.include(PASSWORD);
  });

  it('refuses a SQLite path that does not exist instead of creating an empty database (server-id, status, set-license, audit verify, clock-reset, usage-report)', async () => {
    const missing = join(dir, 'no-such.db');
    for (const args of [
      ['server-id', '--db', `sqlite:${missing}`],
      ['status', '--db', `sqlite:${missing}`, '--public-key', 'vendor.pub.json'],
      ['set-license', '--db', `sqlite:${missing}`, '--key', 'a.b.c', '--public-key', 'vendor.pub.json'],
      ['audit', 'verify', '--db', `sqlite:${missing}`],
      ['clock-reset', '--db', `sqlite:${missing}`, '--actor', 'ops'],
      ['usage-report', '--db', `sqlite:${missing}`, '--out', 'report.json', '--public-key', 'vendor.pub.json'],
    ]) {
      const run = capture(dir);
      expect(await runCli(args, run.io), args.join(' ')).to.equal(2);
      expect(run.out.stderr).to.equal(`error: There is no SQLite database at ${missing}; give the path of the instance's database file.\n`);
      expect(existsSync(missing), args.join(' ')).to.equal(false);
    }
  });

  it('names a missing file in words, never as a bare ENOENT', async () => {
    const run = capture(dir);
    expect(await runCli(['inspect', 'a.b.c', '--public-key', 'missing.jwk.json'], run.io)).to.equal(2);
    expect(run.out.stderr).to.equal('error: The public key file missing.jwk.json does not exist.\n');
    const key = capture(dir);
    expect(await runCli(['set-license', '--db', 'sqlite:x.db', '--file', 'missing.key', '--public-key', 'vendor.pub.json'], key.io)).to.equal(2);
    expect(key.out.stderr).to.not.include('ENOENT');
  });

  describe('status and inspect read public keys the same way', () => {
    const files: [string, string, RegExp][] = [
      ['null.json', 'null', /null\.json holds null, not a key; give the vendor public key as a JWK/],
      ['key.pem', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n', /key\.pem is a PEM file; give the vendor public key as a JWK/],
      ['empty-set.json', '{"keys": []}', /empty-set\.json holds no key/],
      ['numbers.json', '[1, 2]', /numbers\.json holds a number, not a key/],
    ];
    for (const [name, content, sentence] of files) {
      it(`${name}: the same sentence from both commands`, async () => {
        writeFileSync(join(dir, name), content);
        const db = join(dir, `status-${name}.db`);
        writeFileSync(db, ''); // an empty file is an empty database
        const status = capture(dir);
        expect(await runCli(['status', '--db', `sqlite:${db}`, '--public-key', name], status.io)).to.equal(2);
        const inspect = capture(dir);
        expect(await runCli(['inspect', 'a.b.c', '--public-key', name], inspect.io)).to.equal(2);
        expect(status.out.stderr).to.match(sentence);
        expect(inspect.out.stderr).to.equal(status.out.stderr);
      });
    }

    it('a JWK, a list and a JWK Set all verify', async () => {
      const db = join(dir, 'forms.db');
      const setup = capture(dir);
      writeFileSync(db, '');
      expect(await runCli(['server-id', '--db', `sqlite:${db}`], setup.io)).to.equal(0);
      const key = await vendor.issue({ serverId: setup.out.stdout.trim() });
      writeFileSync(join(dir, 'list.json'), JSON.stringify([vendor.pair.publicJwk]));
      writeFileSync(join(dir, 'set.json'), JSON.stringify({ keys: [vendor.pair.publicJwk] }));
      for (const file of ['vendor.pub.json', 'list.json', 'set.json']) {
        const inspect = capture(dir);
        expect(await runCli(['inspect', key, '--public-key', file], inspect.io), inspect.out.stderr).to.equal(0);
        const status = capture(dir);
        expect(await runCli(['status', '--db', `sqlite:${db}`, '--public-key', file], status.io), status.out.stderr).to.equal(0);
      }
    });
  });
});
