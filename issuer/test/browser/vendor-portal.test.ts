/**
 * The vendor portal as its users meet it: a real portal process (`license-manager vendor serve`)
 * on SQLite and on PostgreSQL, driven by Chromium through the two seed workflows: a customer
 * engineer creates the account and the subscription, generates, previews and issues a key; a
 * support engineer's emergency license is refused, then granted inside the window (the process
 * clock is a file the test rewrites), mailed through a real SMTP server and posted once to a real
 * webhook. Every page passes axe-core with no serious or critical violation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../../../test/helpers/browser.js';
import { seriousViolations } from '../../../test/helpers/axe.js';
import { DbFactory, requireDb, type TestDb } from '../../../test/helpers/dbs.js';
import { startSmtp, type SmtpTestServer } from '../../../test/helpers/smtp.js';
import { startReceiver, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.js';
import { runCli } from '../helpers/cli.js';
import { generateKeyPair } from '../../../lib/keys/sign.js';
import { verifyLicenseKey } from '../../../lib/keys/verify.js';
import type { PublicJwk } from '../../../lib/keys/jwk.js';
import { packageRoot } from '../../../lib/package-root.js';

const ROOT = packageRoot();
const PASSWORD = 'correct horse battery staple';
const SERVER_ID = '3C4D5E6F-ABCDEFGHIJKLMNOPQRST';

interface PortalProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `license-manager vendor serve` in its own process; resolves once it prints its URL. */
function spawnPortal(o: { registry: string; privateKey: string; webhook: string; smtp: string; clockFile: string }): Promise<PortalProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'lib/cli/main.ts'),
      'vendor',
      'serve',
      '--registry',
      o.registry,
      '--private-key',
      o.privateKey,
      '--port',
      '0',
      '--webhook',
      o.webhook,
      '--smtp',
      o.smtp,
    ],
    { cwd: ROOT, env: { ...process.env, VENDOR_PORTAL_CLOCK_FILE: o.clockFile, SMTP_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const fail = () => reject(new Error(`the portal process ended before it was ready:\n${out}\n${err}`));
    child.once('exit', fail);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const ready = /Vendor portal ready: (http:\/\/\S+?)\/\n/.exec(out);
      if (!ready) return;
      child.off('exit', fail);
      resolve({
        url: ready[1]!,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Waits for something the portal does after answering (the webhook post), up to a bound. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`browser: the vendor portal, a real portal process [${kind}]`, function () {
    this.timeout(180_000);
    const dbs = new DbFactory(kind);
    let db: TestDb;
    let dir: string;
    let clockFile: string;
    let privateKey: string;
    let publicJwk: PublicJwk;
    let smtp: SmtpTestServer;
    let hook: WebhookReceiver;
    let portal: PortalProcess;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const checked = new Set<string>();
    const setClock = (iso: string) => writeFileSync(clockFile, iso);
    const start = () => spawnPortal({ registry: db.url, privateKey, webhook: hook.url, smtp: smtp.url, clockFile });

    before(async function () {
      requireChromium(this);
      await requireDb(this, kind);
      db = await dbs.fresh('vpbr');
      dir = mkdtempSync(join(tmpdir(), 'lm-portal-'));
      clockFile = join(dir, 'clock');
      setClock('2026-01-05T09:00:00Z');
      const pair = await generateKeyPair();
      publicJwk = pair.publicJwk;
      privateKey = join(dir, 'private.jwk.json');
      writeFileSync(privateKey, JSON.stringify(pair.privateJwk), { mode: 0o600 });
      writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
      const io = { stdout: () => undefined, stderr: (t: string) => process.stderr.write(t), env: {}, now: () => new Date(), cwd: dir };
      for (const [name, role] of [
        ['erin', 'engineer'],
        ['sam', 'support'],
        ['sally', 'sales'],
        ['root', 'admin'],
      ]) {
        expect(
          await runCli(['vendor', 'user', 'add', '--registry', db.url, '--name', name!, '--role', role!, '--password-file', join(dir, 'password')], io),
        ).to.equal(0);
      }
      smtp = await startSmtp();
      hook = await startReceiver();
      portal = await start();
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await portal?.stop();
      await hook?.stop();
      await smtp?.stop();
      await dbs.dropAll();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const foreign: string[] = [];
    beforeEach(async () => {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      // nothing from another origin: every request the pages make goes to the portal itself
      context.on('request', (r) => {
        if (!/^(data:|about:)/.test(r.url()) && new URL(r.url()).origin !== new URL(portal.url).origin) foreign.push(r.url());
      });
      page = await context.newPage();
    });
    afterEach(async function () {
      expect(foreign, 'requests to another origin').to.deep.equal([]);
      if (this.currentTest?.state === 'failed' && page) console.error(`\n--- page at failure: ${page.url()}\n${(await page.content()).slice(0, 4000)}`);
      await context?.close();
    });

    /** axe-core on the page as it stands, once per page and state. */
    async function accessible(name: string) {
      if (checked.has(name)) return;
      checked.add(name);
      expect(await seriousViolations(page), `axe on ${name}`).to.deep.equal([]);
    }

    async function signIn(name: string) {
      await page.goto(`${portal.url}/customers`);
      expect(page.url()).to.contain('/login?next=%2Fcustomers');
      await accessible('sign in');
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForURL(/\/customers$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    }

    const submit = (name: string) =>
      Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
    const flash = async () => ((await page.getByTestId('flash').textContent()) ?? '').trim();

    it('a customer engineer signs in, adds the customer and its subscription, generates, previews and issues a key that verifies with the vendor public key', async () => {
      await signIn('erin');
      await accessible('customers (empty)');
      await page.getByRole('link', { name: 'New customer' }).click();
      await accessible('new customer');
      await page.getByLabel('Company').fill('Acme Corp');
      await page.getByLabel('Account ID').fill('A1001');
      await submit('Add customer');
      expect(await flash()).to.equal('The customer Acme_Corp-A1001 is added.');
      expect(await page.getByTestId('account-name').textContent()).to.equal('Acme_Corp-A1001');
      await accessible('customer');

      await page.getByRole('link', { name: 'New subscription' }).click();
      await accessible('new subscription');
      await page.getByLabel('Plan').fill('enterprise');
      await page.getByLabel('Contract end').fill('2026-01-10');
      await page.getByLabel('Users').fill('50');
      await page.getByLabel('Lines of code').fill('500000');
      await page.getByLabel('CRM subscription ID').fill('a0B5e00000XyZ');
      await submit('Create subscription');
      expect(await flash()).to.match(/^The subscription \S+ is created\.$/);
      expect(await page.getByTestId('crm-id').textContent()).to.equal('a0B5e00000XyZ');
      await accessible('subscription');

      await page.getByRole('link', { name: 'Generate license' }).click();
      await accessible('generate license');
      expect(await page.getByLabel('Users').inputValue()).to.equal('50'); // the subscription's by default
      expect(await page.getByLabel('Lines of code').inputValue()).to.equal('500000');
      expect(await page.getByLabel('Valid until').inputValue()).to.equal('2026-01-10'); // the contract end
      await page.getByLabel('Type').selectOption('production');
      await page.getByLabel('Server ID').fill(SERVER_ID.toLowerCase());
      await page.getByLabel('Features').fill('sso, audit-log');
      await page.getByLabel('Tags').fill('true-up instance:test');
      await page.getByLabel('Opportunity ID').fill('006Qw00000ABC');
      // SPEC 22: the "Self-service extension" group
      await page.getByRole('group', { name: 'Self-service extension' }).getByLabel('Days per extension').fill('7');
      await page.getByLabel('Number of extensions').fill('2');
      await submit('Preview license');
      await accessible('preview');
      expect(await page.getByTestId('preview-extension').textContent()).to.equal('2 × 7 days');
      expect(await page.getByTestId('preview-licensee').textContent()).to.equal('Acme Corp');
      expect(await page.getByTestId('preview-until').textContent()).to.equal('10 January 2026');
      await submit('Issue license');
      expect(await flash()).to.equal('The license is issued.');
      await accessible('license');

      const key = (await page.getByLabel('License key').inputValue()).trim();
      const { payload } = await verifyLicenseKey(key, { publicKeys: [publicJwk] });
      expect(payload).to.deep.include({ licensee: 'Acme Corp', serverId: SERVER_ID, type: 'production', edition: 'enterprise' });
      expect(payload.limits).to.deep.equal({ users: 50, loc: 500_000 });
      expect(payload.features).to.deep.equal(['sso', 'audit-log']);
      expect(payload.tags).to.deep.equal(['true-up', 'instance:test']);
      expect(payload.ext).to.deep.equal({ days: 7, uses: 2 });
      expect(await page.getByTestId('license-extension').textContent()).to.equal('2 × 7 days');
      expect(payload.exp).to.equal(Date.parse('2026-01-11T00:00:00Z') / 1000);
      expect(await page.getByTestId('license-status').textContent()).to.equal('active');

      // posted once to the team channel, without the key
      await eventually(() => hook.accepted().length === 1, 'the webhook post of the issued license');
      const post = JSON.parse(hook.accepted()[0]!.body) as { text: string };
      expect(post.text).to.contain('License issued for Acme_Corp-A1001').and.contain(payload.lid).and.contain('opportunity 006Qw00000ABC');
      expect(post.text).to.not.contain(key.slice(0, 40));
    });

    it('the key is downloaded and emailed to the customer; hosted services turn on after a confirmation, in the timeline', async () => {
      await signIn('erin');
      await page.getByRole('link', { name: 'Acme_Corp-A1001' }).click();
      await page.locator('a.mono[href*="/subscriptions/"]').first().click();
      await page.locator('[data-testid="licenses"] a').first().click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download key' }).click()]);
      expect(download.suggestedFilename()).to.match(/^license-[0-9a-f-]{36}\.key$/);
      const key = (await page.getByLabel('License key').inputValue()).trim();

      await page.getByLabel('Customer email').fill('it@acme.example');
      await submit('Email to the customer');
      expect(await flash()).to.equal('The key is emailed to the customer.');
      const [mail] = smtp.to('it@acme.example');
      expect(mail!.parsed!.text).to.contain(key);

      await page.getByRole('link', { name: 'Subscription' }).click();
      await page.getByLabel('Hosted services').check();
      await submit('Save hosted services');
      await accessible('confirm hosted services');
      await submit('Enable');
      expect(await flash()).to.equal('Hosted services are enabled for this subscription.');
      expect(await page.getByTestId('hosted').textContent()).to.equal('On');
      expect(await page.getByTestId('timeline').textContent())
        .to.contain('hosted services enabled')
        .and.contain('license emailed');
    });

    it('a key for a prospect waits until someone in sales approves it', async () => {
      await signIn('erin');
      await page.getByRole('link', { name: 'New customer' }).click();
      await page.getByLabel('Company').fill('Hooli');
      await page.getByLabel('Account ID').fill('H1');
      await page.getByLabel('Prospect (not a customer yet: keys wait for a sales approval)').check();
      await submit('Add customer');
      await page.getByRole('link', { name: 'New subscription' }).click();
      await page.getByLabel('Plan').fill('enterprise');
      await page.getByLabel('Contract end').fill('2026-06-30');
      await submit('Create subscription');
      await page.getByRole('link', { name: 'Generate license' }).click();
      await page.getByLabel('Server ID').fill('4D5E6F70-BBBBBBBBBBBBBBBBBBBB');
      await submit('Preview license');
      await submit('Request sales approval');
      expect(await flash()).to.equal('Hooli-H1 is a prospect: the key waits for a sales approval.');
      await accessible('approvals');
      expect(await page.getByRole('button', { name: /^Approve/ }).count()).to.equal(0); // engineers cannot approve
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login$/);

      await signIn('sally');
      await page.getByRole('link', { name: 'Approvals' }).click();
      await submit('Approve the key for 4D5E6F70-BBBBBBBBBBBBBBBBBBBB');
      expect(await flash()).to.equal('Approved: the license is issued.');
      const { payload } = await verifyLicenseKey(await page.getByLabel('License key').inputValue(), { publicKeys: [publicJwk] });
      expect(payload.licensee).to.equal('Hooli');
      expect(await page.getByRole('link', { name: 'Generate license' }).count()).to.equal(0); // sales does not issue
    });

    it('support: the emergency license is refused while the last license is usable and for a prospect, then granted inside the window, mailed and posted once', async () => {
      setClock('2026-01-20T09:00:00Z'); // Acme's key ends 2026-01-11; its grace runs to 2026-01-25
      await signIn('sam');
      expect(await page.getByRole('link', { name: 'New customer' }).count()).to.equal(0);
      await page.getByRole('link', { name: 'Emergency license' }).click();
      await accessible('emergency');
      const fill = async (account: string) => {
        await page.getByLabel('Account').fill(account);
        await page.getByLabel('Users').fill('25');
        await page.getByLabel('Requester email').fill('ops@acme.example');
        await page.getByLabel('Ticket').fill('SUP-1234');
        await submit('Issue emergency license');
      };
      await fill('Acme_Corp-A1001');
      const refusal = page.getByTestId('form-error');
      expect(await refusal.getAttribute('data-code')).to.equal('EMERGENCY_NOT_ELIGIBLE');
      expect(await refusal.textContent()).to.contain('still usable through 24 January 2026');
      await accessible('emergency refused');
      expect(await page.getByLabel('Ticket').inputValue()).to.equal('SUP-1234'); // what was typed is kept

      await fill('Hooli-H1');
      expect(await page.getByTestId('form-error').textContent()).to.contain('prospect');

      setClock('2026-01-26T09:00:00Z'); // grace ended a day ago: inside the 3-day window
      await fill('Acme_Corp-A1001');
      expect(await page.getByTestId('email-outcome').textContent()).to.equal('[Success] - Created a license under ops@acme.example for 25 users');
      await accessible('emergency granted');
      const key = (await page.getByLabel('License key').inputValue()).trim();
      const { payload } = await verifyLicenseKey(key, { publicKeys: [publicJwk] });
      expect(payload).to.deep.include({ type: 'trial', serverId: '*', licensee: 'Emergency license', grace: 0 });
      expect(payload.exp - payload.iat).to.equal(10 * 86_400);
      expect(smtp.to('ops@acme.example').map((m) => m.parsed!.text)).to.have.length(1);
      expect(smtp.to('ops@acme.example')[0]!.parsed!.text).to.contain(key);

      await eventually(() => hook.accepted().length === 3, 'the webhook post of the emergency license');
      const texts = hook.accepted().map((r) => (JSON.parse(r.body) as { text: string }).text);
      const emergency = texts.filter((t) => t.startsWith('Emergency license issued for Acme_Corp-A1001'));
      expect(emergency).to.have.length(1);
      expect(emergency[0]).to.contain('ticket SUP-1234').and.contain(payload.lid).and.not.contain('ops@acme.example');
    });

    it('keeps the session across a restart of the portal process, posts nothing twice, and shows every page accessibly', async () => {
      await signIn('root');
      await portal.stop();
      portal = await start();
      // the same browser, the same cookie, a new process on the same registry
      const cookies = await context.cookies();
      await context.clearCookies();
      await context.addCookies(cookies.map((c) => ({ ...c, domain: new URL(portal.url).hostname })));
      await page.goto(`${portal.url}/audit`);
      expect(page.url()).to.equal(`${portal.url}/audit`);
      expect(await page.locator('[data-testid="audit"]').textContent()).to.contain('emergency issued');
      await accessible('audit log');
      for (const [path, name] of [
        ['/licenses', 'licenses'],
        ['/usage', 'usage reports'],
        ['/users', 'users'],
        ['/customers?q=acme', 'customers (search)'],
      ]) {
        await page.goto(`${portal.url}${path}`);
        await accessible(name!);
      }
      expect(await page.locator('[data-testid="customers"] tbody tr').count()).to.equal(1);

      // revoke the prospect's key with a reason, then archive its subscription
      await page.goto(`${portal.url}/customers/Hooli-H1`);
      await page.locator('[data-testid="licenses"] a').first().click();
      await page.getByLabel('Reason').fill('Evaluation over');
      await submit('Revoke license');
      expect(await flash()).to.equal('The license is revoked.');
      expect(await page.getByTestId('license-status').textContent()).to.equal('revoked');
      await accessible('license revoked');
      await page.getByRole('link', { name: 'Subscription' }).click();
      await page.getByLabel('Reason').fill('Prospect went elsewhere');
      await submit('Archive and revoke');
      expect(await flash()).to.equal('The subscription is archived; 0 licenses are revoked.');
      expect(await page.getByRole('link', { name: 'Generate license' }).count()).to.equal(0);
      expect(await page.getByTestId('timeline').textContent())
        .to.contain('subscription archived — Prospect went elsewhere')
        .and.contain('license revoked — Evaluation over');
      await accessible('subscription archived');
      await new Promise((r) => setTimeout(r, 300));
      expect(hook.accepted()).to.have.length(3);

      // the same pages at 390 px, light and dark: no serious violation, nothing wider than the screen
      await page.setViewportSize({ width: 390, height: 844 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const path of ['/customers', '/licenses', '/emergency', '/audit', '/approvals']) {
          await page.goto(`${portal.url}${path}`);
          expect(await seriousViolations(page), `${path} ${scheme} 390 px`).to.deep.equal([]);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow, `${path} at 390 px`).to.be.at.most(0);
        }
      }
      await page.getByRole('link', { name: 'Customers' }).click();
      await page.getByRole('link', { name: 'Acme_Corp-A1001' }).click();
      await page.locator('a.mono[href*="/subscriptions/"]').first().click();
      expect(await seriousViolations(page), 'subscription 390 px dark').to.deep.equal([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).to.be.at.most(0);
    });
  });
}
