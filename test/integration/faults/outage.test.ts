/**
 * SPEC 15.2 with the database cut for real: a TCP proxy between the manager and PostgreSQL /
 * MariaDB that the test closes and reopens. Every route of the router answers from memory or refuses
 * with 503 DATABASE_UNAVAILABLE and a sentence, never a 500 INTERNAL or a hang.
 */
import { expect } from 'chai';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, twoClocks, type TwoClocks } from '../../helpers/managers.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { FormClient, serve, MOUNT } from '../web/fixture.js';
import { knexConfigFromUrl } from '../../../lib/store/connect.js';
import type { LicenseManager } from '../../../lib/index.js';
import { DAY_MS } from '../../../lib/time.js';
import { messages } from '../../../lib/errors.js';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');

const codes = (s: { warnings: { code: string }[] }) => s.warnings.map((w) => w.code);

/** Waits, on real time, for the manager's own periodic refresh to get the database back. */
async function recovered(lm: LicenseManager): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!codes(lm.status()).includes('DATABASE_UNAVAILABLE')) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

withDbs(
  'database outage (SPEC 15.2)',
  (dbs) => {
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

    async function startThroughProxy(db: TestDb, clock: TwoClocks): Promise<LicenseManager> {
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      // NOTE: the test's clock alone (trusted as is): its dates are not the database server's
      return managers.start(db, vendor, clock, { db: knexConfigFromUrl(proxy.through(db.url)), refreshSeconds: 0.2 });
    }

    it('keeps answering from memory, moves to grace and expired on time, refuses writes with 503, and recovers by itself', async () => {
      const db = await dbs.fresh();
      const clock = twoClocks('2027-05-30T00:00:00Z');
      const lm = await startThroughProxy(db, clock);
      await lm.setLicense(await vendor.issue({ serverId: lm.serverId, exp: seconds('2027-06-01T00:00:00Z'), grace: 14, features: ['sso'] }));
      await lm.recordAnalysis({ project: 'p', branch: 'main', loc: 1200 });
      web = await serve(lm.router());
      const api = `${web.origin}${MOUNT}/api`;

      await proxy!.cut();
      const during = await lm.refresh();
      expect(during.state).to.equal('expiring');
      expect(codes(during)).to.include('DATABASE_UNAVAILABLE');
      expect(during.loc.used).to.equal(1200);
      // the request path reads the snapshot: no promise, no query
      expect(lm.status()).to.equal(during);
      const status = await fetch(`${api}/status`);
      expect(status.status).to.equal(200);
      expect(codes((await status.json()) as { warnings: { code: string }[] })).to.include('DATABASE_UNAVAILABLE');

      // the license ends during the outage: grace on time, then expired on time
      clock.set('2027-06-01T00:00:00Z');
      expect((await lm.refresh()).state).to.equal('grace');
      expect(lm.hasFeature('sso')).to.equal(true);
      clock.set(new Date(Date.parse('2027-06-01T00:00:00Z') + 14 * DAY_MS));
      expect((await lm.refresh()).state).to.equal('expired');
      expect(lm.hasFeature('sso')).to.equal(false);

      // writes answer DATABASE_UNAVAILABLE (503) and change nothing
      const renewal = await vendor.issue({ serverId: lm.serverId, exp: seconds('2028-06-01T00:00:00Z'), features: ['sso'] });
      const refused = await refusal(lm.setLicense(renewal));
      expect(refused.code).to.equal('DATABASE_UNAVAILABLE');
      expect(refused.status).to.equal(503);
      expect((await refusal(lm.setLocThreshold(75))).code).to.equal('DATABASE_UNAVAILABLE');
      expect((await refusal(lm.recordAnalysis({ project: 'q', branch: 'main', loc: 5 }))).code).to.equal('DATABASE_UNAVAILABLE');
      const post = await fetch(`${api}/license`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: renewal }) });
      expect(post.status).to.equal(503);
      expect(((await post.json()) as { error: { code: string } }).error.code).to.equal('DATABASE_UNAVAILABLE');
      const threshold = await fetch(`${api}/loc-threshold`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ percent: 75 }),
      });
      expect(threshold.status).to.equal(503);

      // the job does not throw: its run fails and is retried next time
      const run = await lm.runJob();
      expect(run.outcome).to.equal('failed');

      await proxy!.restore();
      expect(await recovered(lm), 'the periodic refresh reads the database again').to.equal(true);
      const back = lm.status();
      expect(back.state).to.equal('expired');
      expect(back.loc).to.include({ used: 1200, threshold: 90 });
      const renewed = await lm.setLicense(renewal);
      expect(renewed.state).to.equal('active');
      expect((await lm.runJob()).outcome).to.equal('ok');
    });

    it('a manager that starts while the database is cut fails to start with DATABASE_UNAVAILABLE, not a hang', async () => {
      const db = await dbs.fresh();
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      await proxy.cut();
      const clock = twoClocks('2027-05-30T00:00:00Z');
      const err = await refusal(managers.start(db, vendor, clock, { db: knexConfigFromUrl(proxy.through(db.url)) }));
      expect(err.code).to.equal('DATABASE_UNAVAILABLE');
    });

    // at 2 a.m.: every route answers from memory or refuses with a sentence, never 500 INTERNAL or a hang
    it('every API route is 200 from memory or 503 DATABASE_UNAVAILABLE (or its own 4xx), the page is 200', async () => {
      const db = await dbs.fresh();
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      const clock = twoClocks('2027-05-30T00:00:00Z');
      const lm = await managers.start(db, vendor, clock, { db: knexConfigFromUrl(proxy.through(db.url)), refreshSeconds: 0.2 });
      const key = await vendor.issue({ serverId: lm.serverId, licensee: 'Outage Ltd', exp: seconds('2027-09-01T00:00:00Z') });
      const lid = (await lm.setLicense(key)).license!.lid;
      web = await serve(lm.router());
      const base = `${web.origin}${MOUNT}`;
      const browser = new FormClient(base);
      const { token } = await browser.get();

      await proxy.cut();
      await lm.refresh();
      const calls: [string, string, unknown?][] = [
        ['GET', '/api/status'],
        ['GET', '/api/server-id'],
        ['GET', '/metrics'],
        ['GET', '/api/keys'],
        ['GET', `/api/keys/${lid}/key`],
        ['GET', '/api/notifications'],
        ['GET', '/api/audit'],
        ['GET', '/api/support-info'],
        ['GET', '/api/loc-usage'],
        ['GET', '/api/loc-usage?format=csv'],
        ['GET', '/api/usage-report'],
        ['POST', '/api/license', { key }],
        ['POST', '/api/license/preview', { key }],
        ['POST', '/api/license/activate', { lid }],
        ['POST', '/api/license/retire', { lid }],
        ['PUT', '/api/loc-threshold', { percent: 70 }],
        ['POST', '/api/test-email', {}],
        ['POST', '/api/revocations', { list: 'a.b.c' }],
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
  },
  ['postgres', 'mysql'],
);
