/** `vendor user add` and `vendor serve` as the CLI runs them (in process, real SQLite registry). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../helpers/cli.js';
import { openVendorRegistry } from '../../../lib/registry/index.js';
import { portalUsers } from '../../../lib/portal/users.js';

describe('vendor portal CLI', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = () => ({
    stdout: (t: string) => void (out += t),
    stderr: (t: string) => void (err += t),
    env: {},
    now: () => new Date('2026-03-01T00:00:00Z'),
    cwd: dir,
  });
  const run = (...args: string[]) => runCli(args, io());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lm-portal-cli-'));
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function signIn(name: string, password: string) {
    const registry = await openVendorRegistry({ db: `sqlite:${join(dir, 'reg.db')}` });
    try {
      return await portalUsers(registry.db).signIn(name, password, new Date('2026-03-01T00:00:00Z'));
    } finally {
      await registry.close();
    }
  }

  it('user add takes the password from a file, never prints it, and the user can sign in with it', async () => {
    writeFileSync(join(dir, 'pw'), 'a long passphrase here\nignored second line\n');
    expect(await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'ada', '--role', 'admin', '--password-file', 'pw')).to.equal(0);
    expect(out).to.equal('Added ada (admin).\n');
    expect((await signIn('ada', 'a long passphrase here')).role).to.equal('admin');
  });

  it('user add without a password file generates one and prints it once', async () => {
    expect(await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'sam', '--role', 'support')).to.equal(0);
    const password = /Password \(shown once, keep it safe\): (\S+)\n$/.exec(out)![1]!;
    expect(password).to.have.length(24);
    expect((await signIn('sam', password)).role).to.equal('support');
  });

  it('refuses a short password, a taken name (exit 1 with a sentence) and an unknown role (exit 2)', async () => {
    writeFileSync(join(dir, 'short'), 'short\n');
    expect(await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'ada', '--role', 'admin', '--password-file', 'short')).to.equal(1);
    expect(err).to.equal('VALIDATION_FAILED: A password has at least 12 characters.\n');
    await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'ada', '--role', 'admin');
    err = '';
    expect(await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'ada', '--role', 'sales')).to.equal(1);
    expect(err).to.equal('VALIDATION_FAILED: There is already a user named ada.\n');
    expect(await run('vendor', 'user', 'add', '--registry', 'sqlite:reg.db', '--name', 'bob', '--role', 'root')).to.equal(2);
  });

  it('serve refuses a public key as its signing key and a webhook that is not http(s), with sentences', async () => {
    writeFileSync(join(dir, 'public.json'), JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'abc' }));
    expect(await run('vendor', 'serve', '--registry', 'sqlite:reg.db', '--private-key', 'public.json', '--port', '0')).to.equal(2);
    expect(err).to.contain('is a public key; --private-key needs the private one.');
    writeFileSync(join(dir, 'private.json'), JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'abc', d: 'def' }));
    err = '';
    expect(await run('vendor', 'serve', '--registry', 'sqlite:reg.db', '--private-key', 'private.json', '--webhook', 'ftp://x')).to.equal(2);
    expect(err).to.equal('error: --webhook must be an http:// or https:// URL.\n');
  });
});
