/**
 * API v1 over real HTTP on SQLite, PostgreSQL and MariaDB: bearer tokens (made with the same code
 * as `vendor token add`), every operation for every role from the one permission table, input
 * refused with a sentence and nothing stored, keyset paging, audit entries naming the token, and
 * every answer validated against the OpenAPI document the portal serves.
 */
import { expect } from 'chai';
import { withDbs, type TestDb } from '../../../../test/helpers/dbs.js';
import { usageInstance } from '../../../../test/helpers/usage-instance.js';
import { API_ROUTES, apiTokens, permissionOf } from '../../../lib/api/index.js';
import { can, ROLES, type Role } from '../../../lib/portal/permissions.js';
import { clockAt, DAY, PROD_ID, vendorKeys } from '../registry/helpers.js';
import { startPortal, type PortalFixture } from '../portal/fixture.js';
import { responseChecker, type ApiReply } from './openapi-check.js';

withDbs('vendor API v1', (dbs) => {
  const clock = clockAt('2026-03-02T10:00:00Z');
  let db: TestDb;
  let p: PortalFixture;
  let secrets: Record<Role, string>;
  let checker: ReturnType<typeof responseChecker>;

  async function call(method: 'get' | 'post', path: string, o: { token?: string | null; body?: unknown; raw?: string } = {}): Promise<ApiReply> {
    const token = o.token === undefined ? secrets.admin : o.token;
    const res = await fetch(`${p.url}/api/v1${path}`, {
      method: method.toUpperCase(),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(o.body !== undefined || o.raw ? { 'content-type': 'application/json' } : {}) },
      body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
    });
    const reply = { status: res.status, body: await res.json() };
    checker.check(method, path, reply);
    return reply;
  }
  const as = (role: Role) => ({
    get: (path: string) => call('get', path, { token: secrets[role] }),
    post: (path: string, body: unknown) => call('post', path, { token: secrets[role], body }),
  });

  beforeEach(async () => {
    clock.set('2026-03-02T10:00:00Z');
    db = await dbs.fresh('vapi');
    p = await startPortal(db, { now: clock.now, users: false });
    const tokens = apiTokens(p.registry.db);
    secrets = {} as Record<Role, string>;
    for (const role of ROLES) secrets[role] = (await tokens.add({ name: `${role}-bot`, role, createdBy: 'test' }, clock.now())).secret;
    const doc = await (await fetch(`${p.url}/api/v1/openapi.json`)).json();
    checker = responseChecker(doc);
  });
  afterEach(async () => p?.close());

  it("refuses a missing, unknown or revoked token with API_TOKEN_INVALID (401) before anything else, and shows each token's last use", async () => {
    for (const token of [null, 'lmv_nope', `${secrets.admin}x`, 'Basic abc']) {
      for (const [method, path] of [
        ['get', '/customers'],
        ['post', '/customers'],
        ['get', '/no/such/route'],
      ] as const) {
        const r = await call(method, path, { token, body: method === 'post' ? { company: 'Acme', accountId: 'A1' } : undefined });
        expect(r.status, `${token} ${method} ${path}`).to.equal(401);
        expect(r.body.error.code).to.equal('API_TOKEN_INVALID');
      }
    }
    expect(await p.registry.searchCustomers()).to.have.length(0);
    const tokens = apiTokens(p.registry.db);
    expect((await tokens.list()).find((t) => t.name === 'sales-bot')!.lastUsedAt).to.equal(null);
    clock.set('2026-03-02T11:00:00Z');
    expect((await as('sales').get('/customers')).status).to.equal(200);
    expect((await tokens.list()).find((t) => t.name === 'sales-bot')!.lastUsedAt!.toISOString()).to.equal('2026-03-02T11:00:00.000Z');
    await tokens.revoke({ name: 'sales-bot', revokedBy: 'admin' }, clock.now());
    const revoked = await as('sales').get('/customers');
    expect(revoked.status).to.equal(401);
    expect(revoked.body.error.message).to.match(/revoked/);
    // the secret is never stored, only its hash
    const rows = await p.registry.db('vendor_api_tokens').select('*');
    expect(JSON.stringify(rows)).not.to.contain(secrets.admin.slice(8));
  });

  it("every operation for every role: allowed exactly when the role holds the operation's permission (the pages' table)", async function () {
    this.timeout(60_000);
    const { privateJwk } = await vendorKeys();
    const account = await p.registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
    const sub = await p.registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-12-31', users: 10 });
    const license = await p.registry.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID });
    const ids: Record<string, string> = { account: account.name, id: sub.id, lid: license.lid, move: 'no-such-move' };
    const table: string[] = [];
    for (const role of ROLES) {
      for (const r of API_ROUTES) {
        const path = r.path.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(ids[k]!));
        // writes go with an empty body: refused by validation when allowed, by role when not, so the table leaves the data as it was
        const reply = r.method === 'get' ? await as(role).get(path) : await as(role).post(path, {});
        table.push(`${role} ${r.method} ${r.path} ${reply.status}`);
        if (can(role, permissionOf(r))) {
          // (approving a move that does not exist: NOT_FOUND, no body to refuse)
          expect(reply.status, `${role} ${r.method} ${r.path}`).to.be.oneOf(r.method === 'get' ? [200] : r.path.includes('{move}') ? [404] : [400]);
          if (r.method === 'post') expect(reply.body.error.code).to.be.oneOf(['VALIDATION_FAILED', 'NOT_FOUND']);
        } else {
          expect(reply.status, `${role} ${r.method} ${r.path}`).to.equal(403);
          expect(reply.body.error).to.deep.equal({
            code: 'FORBIDDEN',
            message: `This token's role (${role}) does not allow this: it needs the permission ${permissionOf(r)}.`,
          });
        }
      }
    }
    expect(table.filter((l) => l.endsWith(' 403')).length).to.be.greaterThan(10);
    expect((await p.registry.events({ limit: 100 })).filter((e) => e.actor.startsWith('token:'))).to.have.length(0);
  });

  it("runs the license workflow: customer, subscription, issue, list, renew, revoke, archive; each write audited with the token's name", async () => {
    const engineer = as('engineer');
    const c = await engineer.post('/customers', { company: 'Acme Corp', accountId: 'A1001' });
    expect(c.status).to.equal(201);
    expect(c.body.name).to.equal('Acme_Corp-A1001');
    const s = await engineer.post('/subscriptions', { account: c.body.name, plan: 'enterprise', ends: '2027-12-31', users: 25, crmSubscriptionId: 'CRM-77' });
    expect(s.status).to.equal(201);
    const issued = await engineer.post(`/subscriptions/${s.body.id}/licenses`, { serverId: PROD_ID, features: ['sso'], opportunityId: 'OPP-9' });
    expect(issued.status).to.equal(201);
    expect(issued.body).to.include({ status: 'active', opportunityId: 'OPP-9', issuedBy: 'token:engineer-bot', serverId: PROD_ID });
    expect(issued.body.claims.limits.users).to.equal(25); // the subscription's, as the page defaults it
    expect(issued.body.key).to.be.a('string');
    const taken = await engineer.post(`/subscriptions/${s.body.id}/licenses`, { serverId: '1A2B3C4D-QQQQQQQQQQQQQQQQQQQQ' });
    expect(taken.status).to.equal(409);
    expect(taken.body.error.code).to.equal('SUBSCRIPTION_INSTANCE_TAKEN');
    expect((await as('support').get(`/licenses?account=${c.body.name}`)).body.items.map((l: { lid: string }) => l.lid)).to.deep.equal([issued.body.lid]);
    expect((await as('sales').get(`/licenses/${issued.body.lid}`)).body.key).to.equal(issued.body.key);
    const renewed = await engineer.post(`/subscriptions/${s.body.id}/renew`, { ends: '2028-12-31' });
    expect(renewed.body.ends).to.equal('2028-12-31');
    const revoked = await engineer.post(`/licenses/${issued.body.lid}/revoke`, { reason: 'replaced' });
    expect(revoked.body).to.include({ lid: issued.body.lid, reason: 'replaced', issuedBy: 'token:engineer-bot' });
    expect((await engineer.get(`/licenses/${issued.body.lid}`)).body.status).to.equal('revoked');
    const archived = await engineer.post(`/subscriptions/${s.body.id}/archive`, { reason: 'churned' });
    expect(archived.body.subscription.archiveReason).to.equal('churned');
    expect((await engineer.get(`/customers/${c.body.name}/subscriptions`)).body.items).to.have.length(1);
    const actions = (await p.registry.events({ limit: 50 })).map((e) => `${e.actor} ${e.action}`).reverse();
    expect(actions).to.deep.equal([
      'token:engineer-bot customer_added',
      'token:engineer-bot subscription_added',
      'token:engineer-bot license_issued',
      'token:engineer-bot subscription_renewed',
      'token:engineer-bot license_revoked',
      'token:engineer-bot subscription_archived',
    ]);
  });

  it('a key for a prospect waits for a sales approval (202), as on the page', async () => {
    const prospect = await p.registry.addCustomer({ company: 'Hooli', accountId: 'H1', prospect: true });
    const sub = await p.registry.addSubscription({ account: prospect.name, plan: 'enterprise', ends: '2027-12-31' });
    const r = await as('admin').post(`/subscriptions/${sub.id}/licenses`, { serverId: PROD_ID });
    expect(r.status).to.equal(202);
    expect(r.body).to.include({ status: 'pending', requestedBy: 'token:admin-bot' });
    expect(await p.registry.list()).to.have.length(0);
  });

  it('refuses bad input with VALIDATION_FAILED naming the field, unknown IDs with NOT_FOUND, and stores nothing', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/customers', { company: 'Acme' }, /accountId is required/],
      ['/customers', { company: 'Acme', accountId: 'A1', admin: true }, /admin is not known/],
      ['/customers', { company: 7, accountId: 'A1' }, /company must be string/],
      ['/customers', [], /JSON object/],
      ['/subscriptions', { account: 'Nobody-1', plan: 'enterprise', ends: '2027-02-30' }, /./],
      ['/subscriptions', { account: 'Nobody-1', plan: 'enterprise', ends: '31.12.2027' }, /ends must match/],
    ];
    for (const [path, body, message] of cases) {
      const r = await as('admin').post(path, body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.body.error.code).to.equal('VALIDATION_FAILED');
      expect(r.body.error.message).to.match(message);
    }
    const raw = await call('post', '/customers', { raw: '{"company": ' });
    expect(raw.body.error).to.deep.include({ code: 'VALIDATION_FAILED', message: 'The body is not valid JSON.' });
    for (const path of ['/customers/Nobody-1', '/subscriptions/nope', '/licenses/nope', '/subscriptions/nope/usage']) {
      const r = await as('support').get(path);
      expect(r.status, path).to.equal(404);
      expect(r.body.error.code).to.equal('NOT_FOUND');
    }
    expect((await as('support').get('/customers?limit=0')).body.error.message).to.match(/limit must be >= 1/);
    expect((await as('support').get('/customers?after=bogus')).body.error.message).to.match(/cursor/);
    expect((await as('support').get('/nope')).status).to.equal(404);
    expect(await p.registry.searchCustomers()).to.have.length(0);
    expect(await p.registry.events()).to.have.length(0);
  });

  it('lists customers a page at a time by keyset, with a search, every customer once', async () => {
    const companies = ['Zeta', 'Acme', 'acme labs', 'Beta', 'Gamma', 'Delta', 'Acme'];
    for (const [i, company] of companies.entries()) await p.registry.addCustomer({ company, accountId: `ID${i}` });
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const r: ApiReply = await as('sales').get(`/customers?limit=3${after ? `&after=${after}` : ''}`);
      expect(r.body.items.length).to.be.at.most(3);
      seen.push(...r.body.items.map((c: { name: string }) => c.name));
      after = r.body.next;
    } while (after);
    expect(seen).to.have.length(7);
    expect(new Set(seen).size).to.equal(7);
    const found = await as('sales').get('/customers?q=ACME');
    expect(found.body.items.map((c: { company: string }) => c.company).sort()).to.deep.equal(['Acme', 'Acme', 'acme labs'].sort());
    expect((await as('sales').get('/customers?q=id4')).body.items.map((c: { name: string }) => c.name)).to.deep.equal(['Gamma-ID4']);
  });

  it('imports a usage report and reads the true-up; an emergency license is refused with the rule', async () => {
    const inst = await usageInstance(dbs);
    try {
      const account = await p.registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
      const sub = await p.registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-12-31', users: 10, loc: 1000 });
      await p.registry.issue({ privateJwk: (await vendorKeys()).privateJwk, subscription: sub.id, serverId: inst.serverId, tags: ['true-up'] });
      await inst.snapshot('2026-01-10', 900, 8);
      await inst.snapshot('2026-01-20', 1300, 12);
      const report = await inst.report('2026-01-31T12:00:00Z');
      const bad = await as('engineer').post('/usage-reports', { report: `${report.text.slice(0, -3)}AAA` });
      expect(bad.status).to.equal(422);
      expect(bad.body.error.code).to.equal('USAGE_REPORT_REJECTED');
      const ok = await as('engineer').post('/usage-reports', { report: report.text });
      expect(ok.status).to.equal(201);
      expect(ok.body).to.include({ subscription: sub.id, duplicate: false });
      const usage = await as('support').get(`/subscriptions/${sub.id}/usage`);
      expect(usage.body.months[0]).to.include({ month: '2026-01', peakLoc: 1300, overLoc: 300, peakUsers: 12, overUsers: 2 });
      expect((await p.registry.events()).map((e) => `${e.actor} ${e.action}`)).to.include('token:engineer-bot usage_report_imported');
    } finally {
      await inst.knex.destroy();
    }
    const move = await as('engineer').post('/moves', { request: 'eyJhbGciOiJFZERTQSJ9.e30.AAAA' });
    expect(move.status).to.equal(422);
    expect(move.body.error.code).to.equal('MOVE_REJECTED');
    expect((await as('sales').get('/moves?status=waiting')).body.items).to.deep.equal([]);
    clock.set(new Date(clock.now().getTime() + DAY));
    const refused = await as('support').post('/emergency-licenses', { account: 'Acme_Corp-A1', users: 5, email: 'ops@acme.test', ticket: 'T-1' });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
  });

  after(() => {
    // every answer above was validated against the served document
    if (checker) expect(checker.checked).to.be.greaterThan(0);
  });
});
