import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { verifyLicenseKey } from '../../../../lib/index.js';
import type { PublicJwk } from '../../../../lib/keys/jwk.js';

const SERVER_ID = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
const NOW = new Date('2026-01-15T12:34:56.789Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STACK_LINE = /^\s+at /m;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** runCli in-process with a capturing io, the clock fixed at NOW and cwd a temporary folder. */
async function cli(cwd: string, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    now: () => NOW,
    cwd,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A refusal: exit code, the code and a sentence on stderr, nothing on stdout, no stack trace. */
function expectRefused(run: Run, exitCode: 1 | 2, text: string | RegExp): void {
  expect(run.code, run.stderr).to.equal(exitCode);
  if (typeof text === 'string') expect(run.stderr).to.include(text);
  else expect(run.stderr).to.match(text);
  expect(run.stderr).to.not.match(STACK_LINE);
  expect(run.stderr.trim().length).to.be.greaterThan(10);
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

describe('CLI: vendor key tools (keygen, issue, inspect)', () => {
  let dir: string;
  let publicJwk: PublicJwk;
  const issueArgs = (...more: string[]) => [
    'issue',
    '--private-key',
    'keys/private.jwk.json',
    '--server-id',
    SERVER_ID,
    '--licensee',
    'Acme Corp',
    '--type',
    'production',
    '--expires',
    '2027-01-31',
    ...more,
  ];
  const issue = async (...more: string[]) => {
    const run = await cli(dir, ...issueArgs(...more));
    expect(run.code, run.stderr).to.equal(0);
    const key = run.stdout.trim();
    const verified = await verifyLicenseKey(key, { publicKeys: [publicJwk] });
    return { key, ...verified };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lm-cli-'));
    const run = await cli(dir, 'keygen', '--out', 'keys');
    expect(run.code, run.stderr).to.equal(0);
    publicJwk = (await readJson(join(dir, 'keys/public.jwk.json'))) as PublicJwk;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('keygen', () => {
    it('writes an Ed25519 pair as JWK files, the private one readable by its owner only', async () => {
      const run = await cli(dir, 'keygen', '--out', 'fresh/nested');
      expect(run.code, run.stderr).to.equal(0);
      const privatePath = join(dir, 'fresh/nested/private.jwk.json');
      const publicPath = join(dir, 'fresh/nested/public.jwk.json');
      const priv = await readJson(privatePath);
      const pub = await readJson(publicPath);
      expect(priv).to.include({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
      expect(priv.d).to.be.a('string');
      expect(pub).to.not.have.property('d');
      expect(pub.kid)
        .to.equal(priv.kid)
        .and.equal(await jose.calculateJwkThumbprint(pub as jose.JWK));
      expect(run.stdout).to.include(`kid ${pub.kid}`);
      expect((await stat(privatePath)).mode & 0o777).to.equal(0o600);
    });

    it('makes a P-256 pair with --alg ES256', async () => {
      const run = await cli(dir, 'keygen', '--out', 'es256', '--alg', 'ES256');
      expect(run.code, run.stderr).to.equal(0);
      expect(await readJson(join(dir, 'es256/public.jwk.json'))).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    });

    it('refuses to overwrite a key pair without --force (exit 2), and replaces it with --force', async () => {
      await cli(dir, 'keygen', '--out', 'rotate');
      const privatePath = join(dir, 'rotate/private.jwk.json');
      const before = await readFile(privatePath, 'utf8');

      expectRefused(await cli(dir, 'keygen', '--out', 'rotate'), 2, '--force');
      expect(await readFile(privatePath, 'utf8')).to.equal(before);

      // Even a lone public key is not overwritten.
      await rm(privatePath);
      expectRefused(await cli(dir, 'keygen', '--out', 'rotate'), 2, 'public.jwk.json');

      await writeFile(privatePath, before);
      await chmod(privatePath, 0o644);
      const forced = await cli(dir, 'keygen', '--out', 'rotate', '--force');
      expect(forced.code, forced.stderr).to.equal(0);
      expect(await readFile(privatePath, 'utf8')).to.not.equal(before);
      expect((await stat(privatePath)).mode & 0o777, 'an overwritten private key is 0600 again').to.equal(0o600);
    });

    it('refuses an unknown --alg and a missing --out as usage errors', async () => {
      expectRefused(await cli(dir, 'keygen', '--out', 'x', '--alg', 'RS256'), 2, '--alg');
      expectRefused(await cli(dir, 'keygen'), 2, '--out');
    });
  });

  describe('issue', () => {
    it('prints one key, which verifies against the public key', async () => {
      const run = await cli(dir, ...issueArgs());
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.match(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const { header } = await verifyLicenseKey(run.stdout, { publicKeys: [publicJwk] });
      expect(header).to.deep.equal({ alg: 'EdDSA', typ: 'license+jws', kid: publicJwk.kid });
    });

    it('takes --expires as the last valid day: 2027-01-31 gives exp 2027-02-01T00:00:00Z, in any time zone', async () => {
      const { payload } = await issue();
      expect(new Date(payload.exp * 1000).toISOString()).to.equal('2027-02-01T00:00:00.000Z');
      expect(payload.exp).to.equal(Date.UTC(2027, 1, 1) / 1000);
    });

    it('applies SPEC 10 defaults: edition enterprise, no features, no limits, no tags, iat = nbf = now', async () => {
      const { payload } = await issue();
      expect(payload).to.deep.include({
        v: 1,
        licensee: 'Acme Corp',
        serverId: SERVER_ID,
        type: 'production',
        edition: 'enterprise',
        features: [],
        limits: {},
        tags: [],
        iat: NOW_S,
        nbf: NOW_S,
      });
      expect(payload.lid).to.match(UUID);
      expect(payload.sub).to.match(UUID);
      expect(payload).to.not.have.property('grace');
      expect(payload).to.not.have.property('email');
    });

    it('takes --edition, --features a,b, --loc, --users and repeatable --tag', async () => {
      const { payload } = await issue(
        '--edition',
        'datacenter',
        '--features',
        'sso, audit,,reports',
        '--loc',
        '500000',
        '--users',
        '25',
        '--tag',
        'true-up',
        '--tag',
        'partner',
        '--subscription',
        'sub-42',
        '--email',
        'it@acme.example',
        '--grace',
        '30',
      );
      expect(payload).to.deep.include({
        edition: 'datacenter',
        features: ['sso', 'audit', 'reports'],
        limits: { loc: 500_000, users: 25 },
        tags: ['true-up', 'partner'],
        sub: 'sub-42',
        email: 'it@acme.example',
        grace: 30,
      });
    });

    it('takes --extension-days N --extension-uses K as the ext claim (SPEC 22); K is 1 unless given; out of range is a usage error naming the option', async () => {
      expect((await issue('--extension-days', '7', '--extension-uses', '2')).payload.ext).to.deep.equal({ days: 7, uses: 2 });
      expect((await issue('--extension-days', '10')).payload.ext).to.deep.equal({ days: 10, uses: 1 });
      expect((await issue()).payload).to.not.have.property('ext');
      expectRefused(await cli(dir, ...issueArgs('--extension-days', '31')), 2, '--extension-days must be a whole number of days from 1 to 30.');
      expectRefused(await cli(dir, ...issueArgs('--extension-days', '5', '--extension-uses', '4')), 2, '--extension-uses must be a whole number from 1 to 3.');
      expectRefused(await cli(dir, ...issueArgs('--extension-uses', '2')), 2, '--extension-uses needs --extension-days');
    });

    it('gives every key its own license ID', async () => {
      const [a, b] = [await issue(), await issue()];
      expect(a.payload.lid).to.not.equal(b.payload.lid);
    });

    it('issues a trial key for any server ("*")', async () => {
      const run = await cli(
        dir,
        'issue',
        '--private-key',
        'keys/private.jwk.json',
        '--server-id',
        '*',
        '--licensee',
        'Trial',
        '--type',
        'trial',
        '--expires',
        '2026-02-14',
      );
      expect(run.code, run.stderr).to.equal(0);
      const { payload } = await verifyLicenseKey(run.stdout, { publicKeys: [publicJwk] });
      expect(payload).to.include({ serverId: '*', type: 'trial' });
    });

    it('signs with an ES256 key from keygen --alg ES256', async () => {
      await cli(dir, 'keygen', '--out', 'es-issue', '--alg', 'ES256');
      const run = await cli(dir, ...issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'es-issue/private.jwk.json' : a)));
      expect(run.code, run.stderr).to.equal(0);
      const pub = (await readJson(join(dir, 'es-issue/public.jwk.json'))) as PublicJwk;
      expect((await verifyLicenseKey(run.stdout, { publicKeys: [pub] })).header.alg).to.equal('ES256');
    });

    it('refuses content that instances would refuse: exit 1, the code and a sentence on stderr', async () => {
      for (const [flag, value] of [
        ['--server-id', 'not-a-server-id'],
        ['--server-id', '*'], // "*" on a production key
        ['--licensee', '  '],
        ['--email', 'nobody'],
        ['--expires', '2026-01-14'], // the day before NOW
        ['--grace', '9999'],
        ['--loc', '10000000000000'],
      ]) {
        const args = issueArgs();
        if (args.includes(flag!)) args[args.indexOf(flag!) + 1] = value!;
        else args.push(flag!, value!);
        const run = await cli(dir, ...args);
        // a usage error whose sentence names the option, never a claim of the key being built
        expectRefused(run, 2, new RegExp(`^error: ${flag}`));
        expect(run.stderr).to.not.match(/claim|nbf|exp\b|serverId/);
        expect(run.stdout).to.equal('');
      }
    });

    it('accepts --expires today (the key is valid through the end of the day, UTC)', async () => {
      const run = await cli(dir, ...issueArgs().map((a) => (a === '2027-01-31' ? '2026-01-15' : a)));
      expect(run.code, run.stderr).to.equal(0);
      const { payload } = await verifyLicenseKey(run.stdout.trim(), { publicKeys: [publicJwk] });
      expect(new Date(payload.exp * 1000).toISOString()).to.equal('2026-01-16T00:00:00.000Z');
    });

    it("reads a key file holding both halves, like the demo host's vendor key", async () => {
      const pair = { privateJwk: await readJson(join(dir, 'keys/private.jwk.json')), publicJwk, note: 'DEMO ONLY' };
      await writeFile(join(dir, 'both.json'), JSON.stringify(pair));
      const run = await cli(dir, ...issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'both.json' : a)));
      expect(run.code, run.stderr).to.equal(0);
      await verifyLicenseKey(run.stdout.trim(), { publicKeys: [publicJwk] });
      await writeFile(join(dir, 'public-only.json'), JSON.stringify({ publicJwk }));
      expectRefused(await cli(dir, ...issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'public-only.json' : a))), 2, '--private-key');
    });

    it('refuses usage errors with exit 2 and no stack trace', async () => {
      const cases: [string[], string | RegExp][] = [
        [issueArgs().filter((a, i, all) => a !== '--licensee' && all[i - 1] !== '--licensee'), '--licensee'],
        [issueArgs().map((a) => (a === '2027-01-31' ? '2027-02-30' : a)), '2027-02-30'],
        [issueArgs().map((a) => (a === '2027-01-31' ? '31/01/2027' : a)), 'YYYY-MM-DD'],
        [issueArgs().map((a) => (a === 'production' ? 'perpetual' : a)), '--type'],
        [issueArgs('--loc', 'lots'), '--loc'],
        [issueArgs('--users', '-5'), /--users|-5/],
        [issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'keys/public.jwk.json' : a)), '--private-key'],
        [issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'keys/missing.json' : a)), 'missing.json'],
        [issueArgs('--no-such-flag'), '--no-such-flag'],
      ];
      for (const [argv, text] of cases) {
        const run = await cli(dir, ...argv);
        expectRefused(run, 2, text);
        expect(run.stdout).to.not.match(/^[\w-]+\.[\w-]+\.[\w-]+$/m);
      }
    });

    it('refuses a private key file that is not JSON as a usage error', async () => {
      await writeFile(join(dir, 'garbage.json'), 'not json');
      expectRefused(await cli(dir, ...issueArgs().map((a) => (a === 'keys/private.jwk.json' ? 'garbage.json' : a))), 2, 'not a JWK');
    });
  });

  describe('inspect', () => {
    let key: string;
    before(async () => {
      ({ key } = await issue('--features', 'sso', '--loc', '1000'));
    });

    it('shows the header, the payload and the dates without checking the signature', async () => {
      const run = await cli(dir, 'inspect', key);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include(`"kid":"${publicJwk.kid}"`);
      expect(run.stdout).to.include('"licensee": "Acme Corp"');
      expect(run.stdout).to.include('valid until 31 January 2027 (the last day, UTC)');
      expect(run.stdout).to.include('commercial features stay on through 14 February 2027');
      expect(run.stdout).to.not.include('1 February 2027');
      expect(run.stdout).to.include('signature: not checked');
    });

    it('verifies with --public-key', async () => {
      const run = await cli(dir, 'inspect', key, '--public-key', 'keys/public.jwk.json');
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include('signature: valid');
    });

    it('prints JSON with --json', async () => {
      const run = await cli(dir, 'inspect', key, '--public-key', 'keys/public.jwk.json', '--json');
      expect(run.code, run.stderr).to.equal(0);
      const out = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
      expect(out.payload!.limits).to.deep.equal({ loc: 1000 });
      expect(out.dates!.exp).to.equal('2027-02-01T00:00:00.000Z');
      expect(out.dates!.validUntil).to.equal('2027-01-31');
      expect(out.signature).to.equal('valid');
    });

    it('reads the key from a file: armoured, CRLF, and a file name with dots', async () => {
      const armoured = `-----BEGIN LICENSE KEY-----\r\n${key.match(/.{1,64}/g)!.join('\r\n')}\r\n-----END LICENSE KEY-----\r\n`;
      await writeFile(join(dir, 'acme.license.key'), armoured);
      const run = await cli(dir, 'inspect', 'acme.license.key', '--public-key', 'keys/public.jwk.json');
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include('signature: valid');
      const absolute = await cli('/', 'inspect', resolve(dir, 'acme.license.key'));
      expect(absolute.code, absolute.stderr).to.equal(0);
    });

    it('refuses a key signed by another vendor key: exit 1, KEY_UNKNOWN_KID', async () => {
      await cli(dir, 'keygen', '--out', 'other');
      expectRefused(await cli(dir, 'inspect', key, '--public-key', 'other/public.jwk.json'), 1, /^KEY_UNKNOWN_KID: .+\n$/);
      // Both trusted (rotation): accepted.
      const both = await cli(dir, 'inspect', key, '--public-key', 'other/public.jwk.json', '--public-key', 'keys/public.jwk.json');
      expect(both.code, both.stderr).to.equal(0);
    });

    it('refuses a tampered key with --public-key: exit 1, KEY_BAD_SIGNATURE', async () => {
      const [h, p, s] = key.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...payload, limits: {} })).toString('base64url');
      expectRefused(await cli(dir, 'inspect', `${h}.${forged}.${s}`, '--public-key', 'keys/public.jwk.json'), 1, /^KEY_BAD_SIGNATURE: /);
    });

    it('refuses what is not a key: exit 1 with KEY_MALFORMED or KEY_TOO_LARGE', async () => {
      expectRefused(await cli(dir, 'inspect', 'hello'), 1, /^KEY_MALFORMED: /);
      expectRefused(await cli(dir, 'inspect', 'a.b.c'), 1, /^KEY_MALFORMED: /);
      await writeFile(join(dir, 'huge.key'), 'A'.repeat(17 * 1024));
      expectRefused(await cli(dir, 'inspect', 'huge.key'), 1, /^KEY_TOO_LARGE: /);
    });

    it('says a key file that does not exist does not exist (exit 2), never KEY_MALFORMED', async () => {
      expectRefused(await cli(dir, 'inspect', '/no/such/file.key'), 2, /^error: The license key file \/no\/such\/file\.key does not exist\.\n$/);
      expectRefused(await cli(dir, 'inspect', 'no-such-file.txt'), 2, 'no-such-file.txt does not exist');
      expectRefused(await cli(dir, 'inspect', 'keys'), 2, 'keys is a folder');
    });

    it('verifies with the combined key file that issue --private-key accepts ({ privateJwk, publicJwk })', async () => {
      const pair = { privateJwk: await readJson(join(dir, 'keys/private.jwk.json')), publicJwk: await readJson(join(dir, 'keys/public.jwk.json')) };
      await writeFile(join(dir, 'demo-vendor-key.DEMO-ONLY.json'), JSON.stringify(pair));
      const run = await cli(dir, 'inspect', key, '--public-key', 'demo-vendor-key.DEMO-ONLY.json');
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include('signature: valid');
    });

    it('exits 2 when a required option or argument is missing (README: usage errors exit 2)', async () => {
      for (const argv of [['issue'], ['issue', '--private-key', 'keys/private.jwk.json'], ['keygen'], ['inspect']]) {
        const run = await cli(dir, ...argv);
        expect(run.code, argv.join(' ')).to.equal(2);
        expect(run.stderr).to.match(/required|missing/);
      }
    });

    it('refuses a private key given as --public-key, and a missing file, as usage errors (exit 2)', async () => {
      expectRefused(await cli(dir, 'inspect', key, '--public-key', 'keys/private.jwk.json'), 2, 'private');
      expectRefused(await cli(dir, 'inspect', key, '--public-key', 'keys/nope.json'), 2, 'nope.json');
      expectRefused(await cli(dir, 'inspect'), 2, /key-or-file|argument/);
    });
  });

  describe('--help', () => {
    for (const argv of [['keygen', '--help'], ['issue', '--help'], ['inspect', '--help'], ['--help'], ['help', 'issue']]) {
      it(`${argv.join(' ')} prints the usage and exits 0`, async () => {
        const run = await cli(dir, ...argv);
        expect(run.code).to.equal(0);
        expect(run.stdout).to.include('Usage: license-manager');
        expect(run.stderr).to.equal('');
      });
    }

    it('documents every option of issue', async () => {
      const { stdout } = await cli(dir, 'issue', '--help');
      for (const option of ['--private-key', '--server-id', '--licensee', '--type', '--expires', '--edition', '--features', '--loc', '--users', '--tag']) {
        expect(stdout).to.include(option);
      }
    });

    it('issue --help names the required options and gives an example', async () => {
      const { stdout } = await cli(dir, 'issue', '--help');
      expect(stdout).to.include('Required: --private-key, --server-id, --licensee, --type and --expires.');
      expect(stdout).to.match(/Example:\n\s+license-manager issue --private-key \S+/);
    });

    it('--version prints the version of the module and exits 0', async () => {
      const { version } = JSON.parse(await readFile(resolve(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
      for (const flag of ['--version', '-V']) {
        const run = await cli(dir, flag);
        expect([run.code, run.stdout.trim(), run.stderr]).to.deep.equal([0, version, '']);
      }
    });

    it('an unknown command is a usage error (exit 2)', async () => {
      const run = await cli(dir, 'issu');
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include('issu');
    });
  });

  describe('the real binary', function () {
    this.timeout(60_000);
    it('sets the process exit code: 1, with the code and a sentence on stderr, for a refused key', async () => {
      const root = resolve(import.meta.dirname, '../../../..'); // the repository: the embed's binary loads this package by name
      const run = promisify(execFile);
      const { key } = await issue();
      const tampered = `${key.slice(0, -2)}${key.endsWith('AA') ? 'BA' : 'AA'}`;
      const refusedRun = await run('npx', ['tsx', 'lib/cli/main.ts', 'inspect', tampered, '--public-key', join(dir, 'keys/public.jwk.json')], {
        cwd: root,
      }).then(
        () => expect.fail('exit code 0 for a tampered key'),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect(refusedRun.code).to.equal(1);
      expect(refusedRun.stderr).to.match(/^KEY_BAD_SIGNATURE: .+$/m);
      expect(refusedRun.stderr).to.not.match(STACK_LINE);
      expect(refusedRun.stdout).to.equal('');
    });
  });
});
