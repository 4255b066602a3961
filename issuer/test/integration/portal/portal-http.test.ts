/**
 * The portal over real HTTP on a real database: every route and form for every role (the table
 * of routes is the one the guard reads), sign-in required everywhere, CSRF refusals, the
 * lockout on the injected clock, sessions that survive a restart, and hostile company names.
 */
import { expect } from 'chai';
import { withDbs, type TestDb } from '../../../../test/helpers/dbs.js';
import { PORTAL_ROUTES } from '../../../lib/portal/routes/index.js';
import { can, ROLES } from '../../../lib/portal/permissions.js';
import { clockAt, PROD_ID, vendorKeys } from '../registry/helpers.js';
import { Client, PASSWORD, signedIn, startPortal, type PortalFixture } from './fixture.js';
import { usageInstance } from '../../../../test/helpers/usage-instance.js';

/** Route paths with real IDs in place of their parameters. */
async function seed(p: PortalFixture) {
  const { privateJwk } = await vendorKeys();
  const account = await p.registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
  const sub = await p.registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-12-31', users: 10 });
  const license = await p.registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
  const prospect = await p.registry.addCustomer({ company: 'Hooli', accountId: 'H1', prospect: true });
  const psub = await p.registry.addSubscription({ account: prospect.name, plan: 'enterprise', ends: '2027-12-31' });
  const request = await p.registry.requestLicense({ subscription: psub.id, serverId: '2B2B2B2B-ABCDEFGHIJKLMNOPQRST', requestedBy: 'engineer' });
  return { ':account': account.name, ':id': sub.id, ':lid': license.lid, requestId: request.id };
}

function fill(path: string, ids: Record<string, string>): string {
  if (path.startsWith('/approvals/:id')) return path.replace(':id', ids.requestId!);
  return path.replace(/:(account|id|lid)/g, (k) => encodeURIComponent(ids[k]!));
}

/** The route a form posts to, from its action. */
function routeOf(action: string) {
  return PORTAL_ROUTES.find((r) => r.method === 'post' && new RegExp(`^${r.path.replace(/:[a-z]+/g, '[^/]+')}$`).test(action));
}

withDbs(
  'vendor portal over HTTP',
  (dbs) => {
    const clock = clockAt('2026-03-02T10:00:00Z');
    let db: TestDb;
    let p: PortalFixture;
    beforeEach(async () => {
      clock.set('2026-03-02T10:00:00Z');
      db = await dbs.fresh('vphttp');
      p = await startPortal(db, { now: clock.now });
    });
    afterEach(async () => p?.close());

    it("every route and every form, for every role: allowed exactly when the role holds the route's permission", async function () {
      this.timeout(60_000);
      const ids = await seed(p);
      const table: string[] = [];
      for (const role of ROLES) {
        const c = await signedIn(p.url, role);
        for (const r of PORTAL_ROUTES) {
          // state-changing posts that would end the table (archive, revoke) run with an empty form: refused by validation, not by role
          const reply = r.method === 'get' ? await c.get(fill(r.path, ids)) : await c.post(fill(r.path, ids), {});
          const allowed = can(role, r.permission);
          table.push(`${role} ${r.method} ${r.path} ${reply.status}`);
          if (allowed) expect(reply.status, `${role} ${r.method} ${r.path}`).to.be.oneOf([200, 303, 400, 409, 422, 502]);
          else {
            expect(reply.status, `${role} ${r.method} ${r.path}`).to.equal(403);
            expect(reply.text).to.contain('data-code="FORBIDDEN"');
          }
          if (r.method === 'get' && allowed && reply.status === 200) {
            // every form a page shows is one its reader may send
            for (const [, action] of reply.text.matchAll(/<form method="post" action="([^"]+)"/g)) {
              if (action === '/logout') continue;
              const target = routeOf(action!.split('#')[0]!);
              expect(target, `form ${action} on ${r.path}`).to.not.equal(undefined);
              expect(can(role, target!.permission), `${role} sees a form to ${action} on ${r.path}`).to.equal(true);
            }
            for (const [, action] of reply.text.matchAll(/formaction="([^"]+)"/g)) expect(can(role, routeOf(action!)!.permission)).to.equal(true);
          }
        }
      }
      expect(table).to.have.length(ROLES.length * PORTAL_ROUTES.length);
    });

    it('every page needs a sign-in: pages redirect to the sign-in form, forms are refused', async () => {
      const ids = await seed(p);
      const c = new Client(p.url);
      await c.get('/login');
      for (const r of PORTAL_ROUTES) {
        const reply = r.method === 'get' ? await c.get(fill(r.path, ids)) : await c.post(fill(r.path, ids), { company: 'X', accountId: 'X1' });
        if (r.method === 'get') {
          expect(reply.status, r.path).to.equal(303);
          expect(reply.location, r.path).to.match(/^\/login\?next=/);
        } else {
          expect(reply.status, r.path).to.equal(401);
        }
      }
      expect(await p.registry.searchCustomers({ query: 'X1' })).to.deep.equal([]);
      expect((await c.get('/nowhere')).status).to.equal(303);
    });

    it("refuses a form without its CSRF token or with another browser's token, the sign-in form too, and changes nothing", async () => {
      const admin = await signedIn(p.url, 'admin');
      const other = await signedIn(p.url, 'engineer');
      const none = await admin.post('/customers', { company: 'Evil', accountId: 'E1' }, { csrf: false });
      expect(none.status).to.equal(403);
      expect(none.text).to.contain('data-code="CSRF_REJECTED"');
      const foreign = await admin.post('/customers', { company: 'Evil', accountId: 'E1', _csrf: other.token }, { csrf: false });
      expect(foreign.status).to.equal(403);
      expect(await p.registry.searchCustomers({ query: 'evil' })).to.deep.equal([]);
      const ok = await admin.post('/customers', { company: 'Good', accountId: 'G1' });
      expect(ok.status).to.equal(303);
      const fresh = new Client(p.url);
      await fresh.get('/login');
      const login = await fresh.post('/login', { name: 'admin', password: PASSWORD }, { csrf: false });
      expect(login.status).to.equal(403);
    });

    it('locks a name after 10 failed sign-ins for 15 minutes of the injected clock, even for the right password', async function () {
      this.timeout(60_000);
      const c = new Client(p.url);
      for (let i = 1; i <= 9; i++) {
        const r = await c.login('support', 'wrong password here');
        expect(r.status, `failure ${i}`).to.equal(401);
        expect(r.text).to.contain('data-code="LOGIN_FAILED"');
      }
      const tenth = await c.login('support', 'wrong password here');
      expect(tenth.status).to.equal(429);
      expect(tenth.text).to.contain('data-code="LOGIN_LOCKED"');
      expect((await c.login('support')).status).to.equal(429);
      expect((await c.login('sales')).status).to.equal(303); // only that name is locked
      clock.set(new Date(Date.parse('2026-03-02T10:15:00Z') - 1));
      expect((await c.login('support')).status).to.equal(429);
      clock.set('2026-03-02T10:15:00Z');
      expect((await c.login('support')).status).to.equal(303);
      expect((await p.registry.events()).map((e) => e.action)).to.include('sign_in_locked');
    });

    it('counts failed sign-ins atomically (SPEC 21): 40 wrong passwords sent at once lock the name, and the right one is then refused', async function () {
      this.timeout(120_000);
      // each guess from its own client (own session and form token), all posted at once
      const guessers = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const g = new Client(p.url);
          await g.get('/login');
          return g;
        }),
      );
      const replies = await Promise.all(guessers.map((g) => g.post('/login', { name: 'support', password: 'wrong password here', next: '/customers' })));
      const statuses = replies.map((r) => r.status);
      expect(
        statuses.filter((s) => s === 401),
        statuses.join(' '),
      ).to.have.length(9);
      expect(statuses.filter((s) => s === 429)).to.have.length(31);
      const c = new Client(p.url);
      const right = await c.login('support');
      expect(right.status).to.equal(429);
      expect(right.text).to.contain('data-code="LOGIN_LOCKED"');
      clock.set('2026-03-02T10:15:00Z');
      expect((await c.login('support')).status).to.equal(303);
    });

    it('a session survives a restart of the portal (it lives in the registry database), and logging out ends it', async () => {
      const c = await signedIn(p.url, 'engineer');
      await p.close();
      p = await startPortal(db, { now: clock.now });
      const moved = new Client(p.url);
      for (const [k, v] of c.cookies) moved.cookies.set(k, v);
      const page = await moved.get('/customers');
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('Signed in as </span>engineer');
      expect((await moved.post('/customers', { company: 'After Restart', accountId: 'R1' })).status).to.equal(303); // the CSRF secret is shared too
      expect((await moved.post('/logout')).status).to.equal(303);
      const after = await moved.get('/customers');
      expect(after.status).to.equal(303);
      for (const [k, v] of c.cookies) moved.cookies.set(k, v); // the old cookie is worth nothing now
      expect((await moved.get('/customers')).status).to.equal(303);
    });

    it('escapes hostile company names everywhere they show', async () => {
      const admin = await signedIn(p.url, 'admin');
      const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> "Evil" & Co';
      const r = await admin.post('/customers', { company: hostile, accountId: 'X1' });
      expect(r.status).to.equal(303);
      const name = decodeURIComponent(r.location!.split('/').pop()!);
      for (const path of ['/customers', `/customers/${encodeURIComponent(name)}`, '/audit', '/customers?q=%3Cscript%3E']) {
        const page = await admin.get(path);
        expect(page.text, path).to.not.contain('<script>alert');
        expect(page.text, path).to.not.contain('<img src=x');
      }
      const page = await admin.get(`/customers/${encodeURIComponent(name)}`);
      expect(page.text).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &#34;Evil&#34; &amp; Co');
    });

    it("imports a usage report pasted into the usage page and shows each month's peak against the limit with the overage", async () => {
      const inst = await usageInstance(dbs);
      try {
        const account = await p.registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
        const sub = await p.registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-12-31', users: 10, loc: 1000 });
        await p.registry.issue({ privateJwk: (await vendorKeys()).privateJwk, subscription: sub.id, serverId: inst.serverId, tags: ['true-up'] });
        await inst.snapshot('2026-01-10', 900, 8);
        await inst.snapshot('2026-01-20', 1300, 12);
        const report = await inst.report('2026-01-31T12:00:00Z');
        const engineer = await signedIn(p.url, 'engineer');
        expect((await engineer.get('/usage')).text).to.contain('data-testid="usage-empty"');
        const refused = await engineer.post('/usage', { report: `${report.text.slice(0, -3)}AAA` });
        expect(refused.status).to.equal(422);
        expect(refused.text).to.contain('data-code="USAGE_REPORT_REJECTED"');
        const done = await engineer.post('/usage', { report: report.text });
        expect(done.status).to.equal(303);
        const shown = await engineer.get('/usage');
        expect(shown.text).to.contain(`Usage report 1 of subscription ${sub.id} is imported.`);
        const row = /<tr><th scope="row">2026-01<\/th>(.*?)<\/tr>/
          .exec(shown.text)![1]!
          .replace(/<[^>]+>/g, '|')
          .split('|')
          .filter(Boolean);
        expect(row).to.deep.equal(['12', '10', '2', '1,300', '1,000', '300']);
        const support = await signedIn(p.url, 'support');
        const read = await support.get('/usage');
        expect(read.text).to.contain('1,300').and.not.contain('Import a usage report');
      } finally {
        await inst.knex.destroy();
      }
    });

    it('sends the security headers: a strict Content-Security-Policy, no framing, no caching', async () => {
      const res = await fetch(`${p.url}/login`);
      expect(res.headers.get('content-security-policy')).to.contain("default-src 'self'").and.contain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('x-powered-by')).to.equal(null);
    });
  },
  ['sqlite', 'postgres', 'mysql'],
);
