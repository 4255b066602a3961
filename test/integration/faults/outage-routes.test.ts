/**
 * SPEC 15.2 at 2 a.m.: with the database cut for real (a TCP proxy closed between the manager and
 * PostgreSQL / MariaDB), every route of the router answers from memory or refuses with 503
 * DATABASE_UNAVAILABLE and a sentence — never a 500 INTERNAL, never a hang — and the page still
 * draws the license from the snapshot.
 */
import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, twoClocks } from '../../helpers/managers.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { FormClient, serve, MOUNT } from '../web/fixture.js';
import { knexConfigFromUrl } from '../../../lib/store/connect.js';
import { messages } from '../../../lib/errors.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');

withDbs('database outage: every route answers (SPEC 15.2)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  let proxy: TcpProxy | undefined;
  let web: { origin: string; close: () => Promise<void> } | undefined;
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(async () => {
    await proxy?.restore();
    await managers.stopAll();
    await web?.close();
    await proxy?.close();
    proxy = web = undefined;
  });

  it('API reads and writes are 200 from memory or 503 DATABASE_UNAVAILABLE, the page is 200', async () => {
    const db = await dbs.fresh();
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const clock = twoClocks('2027-05-30T00:00:00Z');
    const lm = await managers.start(db, vendor, clock, { db: knexConfigFromUrl(proxy.through(db.url)), monotonic: clock.monotonic, refreshSeconds: 0.2 });
    const key = await vendor.issue({ serverId: lm.serverId, licensee: 'Outage Ltd', exp: seconds('2027-09-01T00:00:00Z') });
    const lid = (await lm.setLicense(key)).license!.lid;
    web = await serve(lm.router());
    const base = `${web.origin}${MOUNT}`;
    const browser = new FormClient(base);
    const { token } = await browser.get();

    await proxy.cut();
    await lm.refresh();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/status'], ['GET', '/api/server-id'], ['GET', '/metrics'],
      ['GET', '/api/keys'], ['GET', `/api/keys/${lid}/key`], ['GET', '/api/notifications'], ['GET', '/api/audit'],
      ['GET', '/api/support-info'], ['GET', '/api/loc-usage'], ['GET', '/api/loc-usage?format=csv'], ['GET', '/api/usage-report'],
      ['POST', '/api/license', { key }], ['POST', '/api/license/preview', { key }],
      ['POST', '/api/license/activate', { lid }], ['POST', '/api/license/retire', { lid }],
      ['PUT', '/api/loc-threshold', { percent: 70 }], ['POST', '/api/test-email', {}], ['POST', '/api/revocations', { list: 'a.b.c' }],
    ];
    const answers: string[] = [];
    for (const [method, path, body] of calls) {
      const res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      const code = res.status >= 400 && path.startsWith('/api/') ? (JSON.parse(text) as { error: { code: string } }).error.code : '';
      answers.push(`${method} ${path} ${res.status} ${code}`.trim());
    }
    const bad = answers.filter((a) => !/ 200$/.test(a) && !/ 503 DATABASE_UNAVAILABLE$/.test(a) && !/ 4\d\d [A-Z_]+$/.test(a));
    expect(bad, answers.join('\n')).to.deep.equal([]);
    expect(answers).to.include.members(['GET /api/status 200', 'GET /api/server-id 200', 'GET /metrics 200', 'POST /api/license 503 DATABASE_UNAVAILABLE']);

    const page = await browser.get();
    expect(page.res.status).to.equal(200);
    expect(page.html).to.contain('Outage Ltd');
    const form = await browser.post('/loc-threshold', { _csrf: token, percent: '70' });
    expect(form.res.status).to.equal(503);
    expect(form.html).to.contain(`The threshold was not saved: ${escapeHtml(messages.DATABASE_UNAVAILABLE)}`);
  });
}, ['postgres', 'mysql']);
