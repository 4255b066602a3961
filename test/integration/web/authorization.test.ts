import { expect } from 'chai';
import { createRouter } from '../../../lib/web/router.js';
import { api, FormClient, servedRoutes, serveMemoryPort, startWeb, type WebFixture } from './fixture.js';
import { memoryPort } from '../../helpers/web-port.js';

/** Every route of the router, as the host's users could call it. */
const ROUTES: { method: string; path: string; json?: unknown }[] = [
  { method: 'GET', path: '/' },
  { method: 'POST', path: '/license' },
  { method: 'POST', path: '/license/preview' },
  { method: 'POST', path: '/keys/activate' },
  { method: 'POST', path: '/keys/retire' },
  { method: 'GET', path: '/license' },
  { method: 'GET', path: '/license/preview' },
  { method: 'GET', path: '/keys/activate' },
  { method: 'POST', path: '/license/extend' },
  { method: 'GET', path: '/license/extend' },
  { method: 'GET', path: '/keys/retire' },
  { method: 'GET', path: '/loc-threshold' },
  { method: 'GET', path: '/test-email' },
  { method: 'POST', path: '/revocations' },
  { method: 'GET', path: '/revocations' },
  { method: 'POST', path: '/move-request' },
  { method: 'POST', path: '/license/extend' },
  { method: 'GET', path: '/license/extend' },
  { method: 'GET', path: '/move-request' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/loc-threshold' },
  { method: 'POST', path: '/test-email' },
  { method: 'GET', path: '/assets/license-manager.css' },
  { method: 'GET', path: '/assets/license-manager.js' },
  { method: 'GET', path: '/api/status' },
  { method: 'POST', path: '/api/license', json: { key: 'x' } },
  { method: 'POST', path: '/api/license/preview', json: { key: 'x' } },
  { method: 'POST', path: '/api/license/activate', json: { lid: 'x' } },
  { method: 'POST', path: '/api/license/retire', json: { lid: 'x' } },
  { method: 'POST', path: '/api/license/extend', json: {} },
  { method: 'GET', path: '/api/keys/00000000-0000-4000-8000-000000000000/key' },
  { method: 'PUT', path: '/api/loc-threshold', json: { percent: 80 } },
  { method: 'GET', path: '/api/server-id' },
  { method: 'GET', path: '/api/notifications' },
  { method: 'GET', path: '/api/keys' },
  { method: 'POST', path: '/api/test-email', json: {} },
  { method: 'GET', path: '/api/support-info' },
  { method: 'GET', path: '/api/loc-usage' },
  { method: 'GET', path: '/api/loc-usage?format=csv' },
  { method: 'GET', path: '/api/audit' },
  { method: 'GET', path: '/api/usage-report' },
  { method: 'POST', path: '/api/revocations', json: { list: 'x' } },
  { method: 'POST', path: '/api/move-request', json: { reason: 'x' } },
  { method: 'POST', path: '/api/license/extend', json: {} },
];

/** A table row as the router names it: no query, a license ID as `:lid`. */
const routeName = (r: { method: string; path: string }) => `${r.method} ${r.path.split('?')[0]!.replace(/\/[0-9a-f-]{36}\//, '/:lid/')}`;

describe('web: authorize comes before every route', () => {
  let web: WebFixture;
  before(async () => {
    web = await startWeb();
    await web.setLicense(await web.issue({ licensee: 'Secret Customer Ltd' }));
  });
  after(() => web.close());
  afterEach(() => {
    web.allow.value = true;
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.path} is 403 FORBIDDEN when authorize says no, and shows nothing of the license`, async () => {
      web.allow.value = false;
      const res = await fetch(web.base + route.path, {
        method: route.method,
        headers: route.json === undefined ? {} : { 'content-type': 'application/json' },
        body: route.json === undefined ? undefined : JSON.stringify(route.json),
        redirect: 'manual',
      });
      const text = await res.text();
      expect(res.status).to.equal(403);
      expect(text).not.to.contain('Secret Customer');
      expect(text).not.to.contain(web.serverId);
      if (route.path.startsWith('/api/')) {
        expect(JSON.parse(text)).to.deep.equal({
          error: { code: 'FORBIDDEN', message: 'You are not allowed to do this: only global administrators manage the license.' },
        });
      } else {
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
        expect(text).to.contain('data-code="FORBIDDEN"');
      }
    });
  }

  it('the table above lists every route the router serves (a new route needs its row)', () => {
    const served = new Set(servedRoutes(web.lm.router()));
    const listed = new Set(ROUTES.map(routeName));
    expect(served.size).to.be.above(20);
    expect(
      [...served].filter((r) => !listed.has(r)),
      'routes missing from ROUTES',
    ).to.deep.equal([]);
    expect(
      [...listed].filter((r) => !served.has(r)),
      'rows for routes that do not exist',
    ).to.deep.equal([]);
  });

  it('answers the same routes when authorize says yes', async () => {
    expect((await api(web.base, 'GET', '/status')).status).to.equal(200);
    expect((await fetch(`${web.base}/assets/license-manager.css`)).status).to.equal(200);
    expect((await new FormClient(web.base).get()).res.status).to.equal(200);
  });

  it('refuses when authorize throws or rejects, and accepts a promise of true', async () => {
    const verdicts: (() => boolean | Promise<boolean>)[] = [
      () => {
        throw new Error('session store down');
      },
      () => Promise.reject(new Error('session store down')),
      () => Promise.resolve(false),
    ];
    for (const verdict of verdicts) {
      const app = await serveMemoryPort((port) => {
        port.authorize = verdict;
      });
      const res = await fetch(`${app.base}/api/status`);
      await app.close();
      expect(res.status).to.equal(403);
      expect(await res.text()).not.to.contain('session store down');
    }
    const app = await serveMemoryPort((port) => {
      port.authorize = async () => true;
    });
    const res = await fetch(`${app.base}/api/status`);
    await app.close();
    expect(res.status).to.equal(200);
  });

  it('will not build a router without authorize (a TypeError naming it)', () => {
    const port = memoryPort({ serverId: web.serverId, publicKeys: web.publicKeys, now: () => new Date() });
    expect(() => createRouter({ ...port, authorize: undefined as never })).to.throw(TypeError, /authorize/);
  });
});
