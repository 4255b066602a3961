/**
 * SPEC 15.6: keygen makes its folder 0700 and its files with O_EXCL|O_NOFOLLOW (private 0600);
 * --force replaces through a temporary file and a rename. Real files and real symbolic links.
 */
import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';

async function keygen(cwd: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = { stdout: () => undefined, stderr: (t) => void (stderr += t), env: {}, now: () => new Date('2026-11-23T12:00:00Z'), cwd };
  return { code: await runCli(['keygen', ...args], io), stderr };
}

describe('keygen file safety (SPEC 15.6)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lm-keygen-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates its folder 0700, the private key 0600 and the public key 0644', async () => {
    expect((await keygen(dir, '--out', 'vendor/keys')).code).to.equal(0);
    expect((await stat(join(dir, 'vendor/keys'))).mode & 0o777).to.equal(0o700);
    expect((await stat(join(dir, 'vendor/keys/private.jwk.json'))).mode & 0o777).to.equal(0o600);
    expect((await stat(join(dir, 'vendor/keys/public.jwk.json'))).mode & 0o777).to.equal(0o644);
  });

  it('never writes through a symbolic link planted where the private key goes, with or without --force', async () => {
    await keygen(dir, '--out', 'keys');
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'precious\n', { mode: 0o644 });
    const privatePath = join(dir, 'keys/private.jwk.json');
    await rm(privatePath);
    await rm(join(dir, 'keys/public.jwk.json'));
    await symlink(victim, privatePath);

    const refused = await keygen(dir, '--out', 'keys');
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('private.jwk.json exists');
    expect(await readFile(victim, 'utf8')).to.equal('precious\n');

    const forced = await keygen(dir, '--out', 'keys', '--force');
    expect(forced.code, forced.stderr).to.equal(0);
    expect(await readFile(victim, 'utf8')).to.equal('precious\n');
    expect((await stat(victim)).mode & 0o777).to.equal(0o644);
    const replaced = await lstat(privatePath);
    expect(replaced.isSymbolicLink()).to.equal(false);
    expect(replaced.mode & 0o777).to.equal(0o600);
    expect(JSON.parse(await readFile(privatePath, 'utf8'))).to.have.property('d');
    expect((await readdir(join(dir, 'keys'))).sort()).to.deep.equal(['private.jwk.json', 'public.jwk.json']); // no temporary file left
  });

  it('refuses a dangling symbolic link too, and does not create its target', async () => {
    const target = join(dir, 'elsewhere.json');
    await keygen(dir, '--out', 'keys');
    await rm(join(dir, 'keys/public.jwk.json'));
    await rm(join(dir, 'keys/private.jwk.json'));
    await symlink(target, join(dir, 'keys/private.jwk.json'));
    expect((await keygen(dir, '--out', 'keys')).code).to.equal(2);
    let exists = true;
    await stat(target).catch(() => {
      exists = false;
    });
    expect(exists).to.equal(false);
  });
});

describe('issue checks its own signature (SPEC 15.6)', () => {
  it('refuses a private key file whose d belongs to another key pair, and prints no key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lm-issue-'));
    try {
      await keygen(dir, '--out', 'a');
      await keygen(dir, '--out', 'b');
      const a = JSON.parse(await readFile(join(dir, 'a/private.jwk.json'), 'utf8')) as Record<string, unknown>;
      const b = JSON.parse(await readFile(join(dir, 'b/private.jwk.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(dir, 'mixed.jwk.json'), JSON.stringify({ ...a, d: b.d }));
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env: {},
        now: () => new Date('2026-11-23T12:00:00Z'),
        cwd: dir,
      };
      const code = await runCli(
        [
          'issue',
          '--private-key',
          'mixed.jwk.json',
          '--server-id',
          '1A2B3C4D-ABCDEFGHIJKLMNOPQRST',
          '--licensee',
          'Acme',
          '--type',
          'production',
          '--expires',
          '2027-12-31',
        ],
        io,
      );
      expect(code).to.not.equal(0);
      expect(stderr).to.include('does not match its own public half');
      expect(stdout).to.equal('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder it cannot make with a sentence, at once: under /proc (where mkdir -p used to spin), under a file', async function () {
    this.timeout(10_000); // the old recursive mkdir never returned: a hang fails here
    const dir = await mkdtemp(join(tmpdir(), 'lm-keygen-'));
    try {
      const proc = await keygen(dir, '--out', '/proc/nope');
      expect(proc.code).to.equal(2);
      expect(proc.stderr).to.equal('error: The folder /proc/nope cannot be made (ENOENT).\n');
      await writeFile(join(dir, 'plain.txt'), 'a file\n');
      const underFile = await keygen(dir, '--out', 'plain.txt/sub/keys');
      expect(underFile.code).to.equal(2);
      expect(underFile.stderr).to.equal(`error: ${join(dir, 'plain.txt')} is a file, not a folder, so ${join(dir, 'plain.txt/sub/keys')} cannot be made.\n`);
      expect(await readFile(join(dir, 'plain.txt'), 'utf8')).to.equal('a file\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
