/** `vendor token add|list|revoke` and `vendor sso map|unmap|list` as the CLI runs them (in process, real SQLite registry). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../helpers/cli.js';
import { openVendorRegistry } from '../../../lib/registry/index.js';
import { apiTokens } from '../../../lib/api/tokens.js';
import { ssoGroups } from '../../../lib/sso/groups.js';

describe('vendor token and sso CLI', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = () => ({
    stdout: (t: string) => void (out += t),
    stderr: (t: string) => void (err += t),
    env: { USER: 'ops' },
    now: () => new Date('2026-03-01T00:00:00Z'),
    cwd: dir,
  });
  const run = (...args: string[]) => runCli(args, io());
  const withRegistry = async <T>(work: (r: Awaited<ReturnType<typeof openVendorRegistry>>) => Promise<T>) => {
    const registry = await openVendorRegistry({ db: `sqlite:${join(dir, 'reg.db')}` });
    try {
      return await work(registry);
    } finally {
      await registry.close();
    }
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lm-api-cli-'));
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('token add prints the secret once, stores its hash, and the token authenticates until revoked; both are audited', async () => {
    expect(await run('vendor', 'token', 'add', '--registry', 'sqlite:reg.db', '--name', 'crm', '--role', 'engineer')).to.equal(0);
    const secret = /Token \(shown once, keep it safe\): (lmv_\S+)/.exec(out)![1]!;
    expect(await withRegistry(async (r) => (await apiTokens(r.db).authenticate(secret, new Date('2026-03-01T01:00:00Z')))?.role)).to.equal('engineer');
    out = '';
    expect(await run('vendor', 'token', 'list', '--registry', 'sqlite:reg.db')).to.equal(0);
    expect(out).to.contain('crm\tengineer').and.contain('last used 2026-03-01T01:00:00Z').and.not.contain(secret);
    expect(await run('vendor', 'token', 'add', '--registry', 'sqlite:reg.db', '--name', 'crm', '--role', 'admin')).to.equal(1);
    expect(err).to.contain('already a token named crm');
    expect(await run('vendor', 'token', 'revoke', '--registry', 'sqlite:reg.db', '--name', 'crm')).to.equal(0);
    expect(await withRegistry((r) => apiTokens(r.db).authenticate(secret, new Date('2026-03-01T02:00:00Z')))).to.equal(undefined);
    const events = await withRegistry((r) => r.events());
    expect(events.map((e) => `${e.actor} ${e.action}`)).to.deep.equal(['ops api_token_revoked', 'ops api_token_added']);
    expect(JSON.stringify(events)).not.to.contain(secret);
  });

  it('sso map gives a group a role, a second map changes it, unmap removes it', async () => {
    expect(await run('vendor', 'sso', 'map', '--registry', 'sqlite:reg.db', '--group', 'license-eng', '--role', 'engineer')).to.equal(0);
    expect(out).to.equal('Group license-eng signs in as engineer.\n');
    expect(await run('vendor', 'sso', 'map', '--registry', 'sqlite:reg.db', '--group', 'support-rota', '--role', 'support')).to.equal(0);
    expect(await withRegistry((r) => ssoGroups(r.db).roleFor(['support-rota', 'license-eng', 'other']))).to.equal('engineer');
    expect(await run('vendor', 'sso', 'map', '--registry', 'sqlite:reg.db', '--group', 'license-eng', '--role', 'sales')).to.equal(0);
    expect(await withRegistry((r) => ssoGroups(r.db).roleFor(['license-eng']))).to.equal('sales');
    expect(await run('vendor', 'sso', 'unmap', '--registry', 'sqlite:reg.db', '--group', 'license-eng')).to.equal(0);
    expect(await withRegistry((r) => ssoGroups(r.db).roleFor(['license-eng']))).to.equal(undefined);
    expect(await run('vendor', 'sso', 'map', '--registry', 'sqlite:reg.db', '--group', 'x', '--role', 'root')).to.equal(2); // commander's usage error
    out = '';
    expect(await run('vendor', 'sso', 'list', '--registry', 'sqlite:reg.db')).to.equal(0);
    expect(out).to.equal('support-rota\tsupport\n');
  });
});
