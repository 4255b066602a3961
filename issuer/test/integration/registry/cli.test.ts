import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs, type TestDb } from '../../../../test/helpers/dbs.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { verifyLicenseKey } from '../../../../lib/keys/verify.js';
import { clockAt, OTHER_ID, PROD_ID, STAGING_ID, vendorKeys } from './helpers.js';
import { closedSmtpUrl, startSmtp } from '../../../../test/helpers/smtp.js';

/** runCli in-process, in a temporary working directory holding the vendor private key. */
function cli(clock: { now: () => Date }, env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'lm-vendor-cli-'));
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env, now: clock.now, cwd };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  };
  return { cwd, run, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

async function writeKey(cwd: string): Promise<string> {
  writeFileSync(join(cwd, 'private.jwk.json'), JSON.stringify((await vendorKeys()).privateJwk));
  return 'private.jwk.json';
}

withDbs(
  'license-manager vendor (CLI)',
  (dbs) => {
    let db: TestDb;
    let c: ReturnType<typeof cli>;
    const clock = clockAt('2025-12-01T09:00:00Z');
    beforeEach(async () => {
      clock.set('2025-12-01T09:00:00Z');
      db = await dbs.fresh('vcli');
      c = cli(clock, { USER: 'carol' });
    });
    afterEach(() => c.cleanup());

    /** customer + subscription (contract ends 2026-01-10) + production key, through the CLI. */
    async function setUp(plan = 'enterprise') {
      const key = await writeKey(c.cwd);
      const account = await c.run('vendor', 'customer', 'add', '--company', 'Acme Corp', '--account-id', 'A1001', '--registry', db.url);
      expect(account).to.deep.equal({ code: 0, stdout: 'Acme_Corp-A1001\n', stderr: '' });
      const sub = await c.run(
        'vendor',
        'subscription',
        'add',
        '--account',
        'Acme_Corp-A1001',
        '--plan',
        plan,
        '--ends',
        '2026-01-10',
        '--users',
        '40',
        '--loc',
        '250000',
        '--registry',
        db.url,
      );
      expect(sub.code).to.equal(0);
      const subscription = sub.stdout.trim();
      const issued = await c.run(
        'vendor',
        'issue',
        '--private-key',
        key,
        '--subscription',
        subscription,
        '--server-id',
        PROD_ID,
        '--tag',
        'true-up',
        '--tag',
        'instance:test',
        '--features',
        'sso,audit',
        '--registry',
        db.url,
      );
      expect(issued.code, issued.stderr).to.equal(0);
      return { key, subscription, productionKey: issued.stdout.trim() };
    }

    it('adds a customer and a subscription and issues its production key, printed and listed', async () => {
      const { subscription, productionKey } = await setUp();
      const { publicJwk } = await vendorKeys();
      const { payload } = await verifyLicenseKey(productionKey, { publicKeys: [publicJwk] });
      expect(payload).to.deep.include({ sub: subscription, serverId: PROD_ID, type: 'production', licensee: 'Acme Corp', exp: Date.UTC(2026, 0, 11) / 1000 });
      expect(payload.limits).to.deep.equal({ users: 40, loc: 250_000 });
      expect(payload.tags).to.deep.equal(['true-up', 'instance:test']);
      expect(payload.features).to.deep.equal(['sso', 'audit']);
      const list = await c.run('vendor', 'list', '--account', 'Acme_Corp-A1001', '--json', '--show-keys', '--registry', db.url);
      const [row] = JSON.parse(list.stdout) as Record<string, unknown>[];
      expect(row).to.deep.include({
        lid: payload.lid,
        key: productionKey,
        issuedBy: 'carol',
        account: 'Acme_Corp-A1001',
        issuedAt: '2025-12-01T09:00:00.000Z',
      });
      const human = await c.run('vendor', 'list', '--registry', db.url);
      expect(human.stdout)
        .to.contain(payload.lid)
        .and.to.contain('issued by carol')
        .and.to.contain(`${productionKey.slice(0, 12)}…${productionKey.slice(-8)}`);
      // a key is what a customer installs: whole only when asked for
      expect(human.stdout).to.not.contain(productionKey);
      expect((await c.run('vendor', 'list', '--json', '--registry', db.url)).stdout).to.not.contain(productionKey);
      expect((await c.run('vendor', 'list', '--show-keys', '--registry', db.url)).stdout).to.contain(productionKey);
    });

    it('exits 1 with the code and both server IDs for a second production instance, or a staging ID of another dataset', async () => {
      const { key, subscription } = await setUp();
      const second = await c.run('vendor', 'issue', '--private-key', key, '--subscription', subscription, '--server-id', OTHER_ID, '--registry', db.url);
      expect(second.code).to.equal(1);
      expect(second.stdout).to.equal('');
      expect(second.stderr)
        .to.match(/^SUBSCRIPTION_INSTANCE_TAKEN: /)
        .and.to.contain(PROD_ID)
        .and.to.contain(OTHER_ID);
      const staging = await c.run(
        'vendor',
        'issue',
        '--private-key',
        key,
        '--subscription',
        subscription,
        '--server-id',
        STAGING_ID,
        '--type',
        'staging',
        '--registry',
        db.url,
      );
      expect(staging.code, staging.stderr).to.equal(0);
      const wrong = await c.run(
        'vendor',
        'issue',
        '--private-key',
        key,
        '--subscription',
        subscription,
        '--server-id',
        '77777777-ZZZZZZZZZZZZZZZZZZZZ',
        '--type',
        'staging',
        '--registry',
        db.url,
      );
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(/^SERVER_ID_MISMATCH: /);
    });

    it('renews a subscription, and the renewal key for the same instance expires at the new end', async () => {
      const { key, subscription } = await setUp();
      const renew = await c.run('vendor', 'subscription', 'renew', '--subscription', subscription, '--ends', '2027-01-10', '--registry', db.url);
      expect(renew).to.deep.equal({ code: 0, stdout: `${subscription} ends 2027-01-10\n`, stderr: '' });
      const issued = await c.run('vendor', 'issue', '--private-key', key, '--subscription', subscription, '--server-id', PROD_ID, '--registry', db.url);
      const { payload } = await verifyLicenseKey(issued.stdout.trim(), { publicKeys: [(await vendorKeys()).publicJwk] });
      expect(payload.exp).to.equal(Date.UTC(2027, 0, 11) / 1000);
    });

    it('emails an emergency key through --smtp, prints it and lists the success', async () => {
      const { key } = await setUp();
      const smtp = await startSmtp();
      try {
        clock.set('2026-01-26T10:00:00Z'); // grace ended 2026-01-25T00:00Z
        const out = await c.run(
          'vendor',
          'emergency',
          '--private-key',
          key,
          '--account',
          'Acme_Corp-A1001',
          '--users',
          '9',
          '--email',
          'ops@acme.example',
          '--issued-by',
          'dave',
          '--ticket',
          'SUP-9',
          '--smtp',
          smtp.url,
          '--registry',
          db.url,
        );
        expect(out.code, out.stderr).to.equal(0);
        const emergencyKey = out.stdout.trim();
        expect(out.stderr).to.match(
          /^This emergency license turns on: edition \S+; features sso, audit; 9 users, 250,000 lines of code — restored from production license [0-9a-f-]{36} \(enterprise, subscription [0-9a-f-]{36}\)\.\n/,
        );
        expect(out.stderr.split('\n')[1]).to.equal('[Success] - Created a license under ops@acme.example for 9 users');
        expect(smtp.messages[0]!.parsed!.text).to.contain(emergencyKey);
        const { payload } = await verifyLicenseKey(emergencyKey, { publicKeys: [(await vendorKeys()).publicJwk] });
        expect(payload.exp - payload.iat).to.equal(864_000);
        const rows = JSON.parse((await c.run('vendor', 'list', '--json', '--show-keys', '--registry', db.url)).stdout) as Record<string, unknown>[];
        expect(rows[1]).to.deep.include({
          emergency: true,
          issuedBy: 'dave',
          ticket: 'SUP-9',
          key: emergencyKey,
          emailOutcome: '[Success] - Created a license under ops@acme.example for 9 users',
        });
      } finally {
        await smtp.stop();
      }
    });

    it('with SMTP_URL down, still prints the key, exits 0, says the mail failed, and lists both', async () => {
      const { key } = await setUp();
      const down = cli(clock, { SMTP_URL: await closedSmtpUrl() });
      try {
        writeFileSync(join(down.cwd, key), JSON.stringify((await vendorKeys()).privateJwk));
        clock.set('2026-01-26T10:00:00Z');
        const out = await down.run(
          'vendor',
          'emergency',
          '--private-key',
          key,
          '--account',
          'Acme_Corp-A1001',
          '--users',
          '9',
          '--email',
          'ops@acme.example',
          '--issued-by',
          'dave',
          '--ticket',
          'SUP-10',
          '--registry',
          db.url,
        );
        expect(out.code).to.equal(0);
        expect(out.stdout.trim()).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(out.stderr.split('\n')[1])
          .to.match(/^warning: the mail failed/)
          .and.to.contain('[Failed] - Could not email the license to ops@acme.example');
        const listed = await down.run('vendor', 'list', '--account', 'Acme_Corp-A1001', '--show-keys', '--registry', db.url);
        expect(listed.stdout).to.contain('[Failed] - Could not email the license to ops@acme.example').and.to.contain(out.stdout.trim());
      } finally {
        down.cleanup();
      }
    });

    it('refuses an emergency license with exit 1 and the rule that failed', async () => {
      const { key } = await setUp('free');
      clock.set('2026-01-26T10:00:00Z');
      const out = await c.run(
        'vendor',
        'emergency',
        '--private-key',
        key,
        '--account',
        'Acme_Corp-A1001',
        '--users',
        '9',
        '--email',
        'ops@acme.example',
        '--issued-by',
        'dave',
        '--ticket',
        'SUP-11',
        '--registry',
        db.url,
      );
      expect(out.code).to.equal(1);
      expect(out.stdout).to.equal('');
      expect(out.stderr).to.match(/^EMERGENCY_NOT_ELIGIBLE: .*no paid plan/);
    });

    it('offers no way to change the emergency duration: such options are usage errors (exit 2)', async () => {
      const { key } = await setUp();
      clock.set('2026-01-26T10:00:00Z');
      const base = [
        'vendor',
        'emergency',
        '--private-key',
        key,
        '--account',
        'Acme_Corp-A1001',
        '--users',
        '9',
        '--email',
        'ops@acme.example',
        '--issued-by',
        'dave',
        '--ticket',
        'SUP-12',
        '--registry',
        db.url,
      ];
      for (const extra of [
        ['--days', '30'],
        ['--expires', '2026-12-31'],
        ['--duration', '30'],
      ]) {
        expect((await c.run(...base, ...extra)).code).to.equal(2);
      }
      const help = await c.run('vendor', 'emergency', '--help');
      expect(help.stdout).to.not.match(/--(days|expires|duration|grace)/);
      const rows = JSON.parse((await c.run('vendor', 'list', '--json', '--registry', db.url)).stdout) as unknown[];
      expect(rows).to.have.length(1); // nothing was issued by the refused commands
    });
  },
  ['sqlite', 'postgres'],
);

describe('license-manager vendor (CLI usage)', () => {
  const clock = clockAt('2026-03-01T12:00:00Z');

  it('has --help on each command, exit 0', async () => {
    const c = cli(clock);
    try {
      for (const command of [
        ['vendor'],
        ['vendor', 'customer', 'add'],
        ['vendor', 'subscription', 'add'],
        ['vendor', 'subscription', 'renew'],
        ['vendor', 'issue'],
        ['vendor', 'emergency'],
        ['vendor', 'list'],
      ]) {
        const out = await c.run(...command, '--help');
        expect(out.code, command.join(' ')).to.equal(0);
        expect(out.stdout).to.contain(`Usage: license-manager ${command.join(' ')}`);
        if (command.length > 1) expect(out.stdout).to.contain('--registry <url>');
      }
    } finally {
      c.cleanup();
    }
  });

  it('never creates a registry to read it: vendor list without --registry, where there is none, is a sentence (exit 2)', async () => {
    const c = cli(clock);
    try {
      const out = await c.run('vendor', 'list');
      expect(out.code).to.equal(2);
      expect(out.stderr).to.match(
        /^error: There is no vendor registry at .*vendor-registry\.db \(the default, \.\/vendor-registry\.db of the working folder\); give the registry with --registry URL/,
      );
      expect(existsSync(join(c.cwd, 'vendor-registry.db'))).to.equal(false);
      expect((await c.run('vendor', 'usage', 'show', '--subscription', 'x')).code).to.equal(2);
      expect(existsSync(join(c.cwd, 'vendor-registry.db'))).to.equal(false);
    } finally {
      c.cleanup();
    }
  });

  it('says a registry it cannot reach in one sentence naming where, without knex\'s "Acquire connection error" and its stack', async () => {
    const c = cli(clock);
    const printed: string[] = [];
    const original = { warn: console.warn, error: console.error, log: console.log };
    console.warn = console.error = console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      const out = await c.run('vendor', 'list', '--registry', 'postgres://postgres@127.0.0.1:1/nothing');
      Object.assign(console, original);
      expect(out.code).to.equal(1);
      expect(out.stderr).to.equal('error: The database could not be reached (connect ECONNREFUSED 127.0.0.1:1).\n');
      expect(printed.join('\n')).to.not.match(/Acquire connection error|\n\s+at /);
    } finally {
      Object.assign(console, original);
      c.cleanup();
    }
  });

  it('keeps the registry in ./vendor-registry.db of the working directory by default', async () => {
    const c = cli(clock);
    try {
      const out = await c.run('vendor', 'customer', 'add', '--company', 'Acme Corp', '--account-id', 'A1');
      expect(out.code).to.equal(0);
      expect(existsSync(join(c.cwd, 'vendor-registry.db'))).to.equal(true);
      expect((await c.run('vendor', 'list', '--json')).stdout.trim()).to.equal('[]');
    } finally {
      c.cleanup();
    }
  });

  it('exits 2 on usage errors: missing option, bad type, bad date, bad number, public key as private', async () => {
    const c = cli(clock);
    try {
      expect((await c.run('vendor', 'customer', 'add', '--company', 'Acme')).code).to.equal(2);
      await c.run('vendor', 'customer', 'add', '--company', 'Acme', '--account-id', 'A1');
      expect((await c.run('vendor', 'subscription', 'add', '--account', 'Acme-A1', '--plan', 'enterprise', '--ends', '2026-02-30')).code).to.equal(2);
      expect(
        (await c.run('vendor', 'subscription', 'add', '--account', 'Acme-A1', '--plan', 'enterprise', '--ends', '2026-12-31', '--users', 'many')).code,
      ).to.equal(2);
      writeFileSync(join(c.cwd, 'public.jwk.json'), JSON.stringify((await vendorKeys()).publicJwk));
      expect((await c.run('vendor', 'issue', '--private-key', 'public.jwk.json', '--subscription', 'x', '--server-id', PROD_ID)).code).to.equal(2);
      expect(
        (await c.run('vendor', 'issue', '--private-key', 'public.jwk.json', '--subscription', 'x', '--server-id', PROD_ID, '--type', 'trial')).code,
      ).to.equal(2);
      const unknown = await c.run('vendor', 'subscription', 'add', '--account', 'Nobody-1', '--plan', 'enterprise', '--ends', '2026-12-31');
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.match(/^VALIDATION_FAILED: There is no customer account named "Nobody-1"/);
    } finally {
      c.cleanup();
    }
  });
});
