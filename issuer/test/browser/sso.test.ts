/**
 * Single sign-on (SPEC 23) in Chromium against a real OpenID provider running in the test
 * (`oidc-provider` with its development interactions: any login, the groups from our account
 * table): an engineer's group maps to a role and they land in the portal with it; a later
 * change of groups changes the role at the next sign-in; a person whose groups map to nothing is
 * told so and gets no user; a callback without its state, or with another state, is refused;
 * with password sign-in turned off the password form is gone and refused.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../../../test/helpers/browser.js';
import { DbFactory, requireDb } from '../../../test/helpers/dbs.js';
import { ssoGroups } from '../../lib/sso/groups.js';
import { Client, startPortal, type PortalFixture } from '../integration/portal/fixture.js';
import { clockAt } from '../integration/registry/helpers.js';

const CLIENT_SECRET = `test-secret-${Math.random().toString(36).slice(2)}`;

describe('single sign-on through a real OpenID provider, in Chromium', function () {
  this.timeout(120_000);
  const clock = clockAt('2026-03-02T10:00:00Z');
  const groupsOf: Record<string, string[]> = {};
  const dbs = new DbFactory('sqlite');
  let idp: Server;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.end();
  let issuer: string;
  let p: PortalFixture;
  let browser: Browser;

  before(async function () {
    requireChromium(this);
    await requireDb(this, 'sqlite');
    idp = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    p = await startPortal(await dbs.fresh('sso'), { now: clock.now, users: false, oidc: { issuer, clientId: 'vendor-portal', clientSecret: CLIENT_SECRET } });
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'vendor-portal',
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${p.url}/auth/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id, preferred_username: id, groups: groupsOf[id] ?? [] }),
      }),
      cookies: { keys: ['sso-test-cookie-key'] },
      features: { devInteractions: { enabled: true } },
    } as ConstructorParameters<typeof Provider>[1]);
    handler = provider.callback() as unknown as typeof handler;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await p?.close();
    idp?.closeAllConnections();
    await new Promise((r) => idp?.close(r));
    await dbs.dropAll();
  });

  /** From the portal's sign-in page through the provider's login and consent, back to the portal. */
  async function signIn(login: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${p.url}/customers`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL(`${issuer}/**`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForLoadState();
    if (page.url().startsWith(issuer)) await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${p.url}/**`);
    return page;
  }

  it('an engineer signs in with the role their group maps to, and a change of groups changes it at the next sign-in', async () => {
    const sso = ssoGroups(p.registry.db);
    await sso.map({ group: 'license-eng', role: 'engineer', setBy: 'test' }, clock.now());
    await sso.map({ group: 'support-rota', role: 'support', setBy: 'test' }, clock.now());
    groupsOf.ada = ['staff', 'license-eng'];
    const page = await signIn('ada');
    expect(new URL(page.url()).pathname).to.equal('/customers');
    expect((await page.locator('.topbar-user').innerText()).toLowerCase())
      .to.contain('ada')
      .and.contain('engineer');
    expect(await page.getByRole('link', { name: 'New customer' }).count()).to.equal(1);
    expect((await p.registry.db('vendor_users').where({ name: 'ada' }).first()).sso_subject).to.equal(`${issuer}|ada`);
    await page.context().close();

    groupsOf.ada = ['support-rota'];
    const again = await signIn('ada');
    expect((await again.locator('.topbar-user').innerText()).toLowerCase()).to.contain('support');
    expect(await again.getByRole('link', { name: 'New customer' }).count()).to.equal(0);
    await again.context().close();
    const events = (await p.registry.events()).filter((e) => e.action === 'signed_in').map((e) => `${e.actor} ${String(e.detail.role)}`);
    expect(events).to.deep.equal(['ada support', 'ada engineer']);
  });

  it('a person whose groups map to no role is told so, and no user is made', async () => {
    groupsOf.bob = ['marketing'];
    const page = await signIn('bob');
    expect(new URL(page.url()).pathname).to.equal('/auth/oidc/callback');
    const banner = page.getByTestId('form-error');
    expect(await banner.getAttribute('data-code')).to.equal('SSO_NO_ROLE');
    expect(await banner.innerText()).to.contain('None of your groups is given a role');
    expect(await p.registry.db('vendor_users').where({ name: 'bob' }).first()).to.equal(undefined);
    // and the customers page still asks for a sign-in
    await page.goto(`${p.url}/customers`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.context().close();
  });

  it('a callback without a sign-in in progress, or with another state, is refused', async () => {
    const c = new Client(p.url);
    const stray = await c.get('/auth/oidc/callback?code=abc&state=xyz');
    expect(stray.status).to.equal(400);
    expect(stray.text).to.contain('data-code="SSO_FAILED"');
    const start = await c.get('/auth/oidc/login?next=/licenses');
    expect(start.status).to.equal(303);
    const to = new URL(start.location!);
    expect(to.origin).to.equal(issuer);
    expect(to.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(to.searchParams.get('state')).to.have.length.greaterThan(20);
    expect(to.searchParams.get('nonce')).to.have.length.greaterThan(20);
    const forged = await c.get(`/auth/oidc/callback?code=abc&state=${to.searchParams.get('state')}x`);
    expect(forged.status).to.equal(400);
    expect(forged.text).to.contain('data-code="SSO_FAILED"');
    // the pending sign-in was used up: the right state now finds nothing either
    expect((await c.get(`/auth/oidc/callback?code=abc&state=${to.searchParams.get('state')}`)).status).to.equal(400);
  });

  it('with password sign-in off, the password form is gone and a posted password is refused', async () => {
    const q = await startPortal(await dbs.fresh('sso2'), {
      now: clock.now,
      passwordLogin: false,
      oidc: { issuer, clientId: 'vendor-portal', clientSecret: CLIENT_SECRET },
    });
    try {
      const c = new Client(q.url);
      const login = await c.get('/login');
      expect(login.text).to.contain('Sign in with single sign-on').and.not.contain('name="password"');
      const posted = await c.post('/login', { name: 'admin', password: 'correct horse battery staple' });
      // the page has no form, so no CSRF token either: refused before the password is even looked at
      expect(posted.status).to.equal(403);
      expect(posted.location).to.equal(null);
      expect((await c.get('/customers')).location).to.match(/\/login/);
    } finally {
      await q.close();
    }
  });
});
