/**
 * SPEC 21, second bullet, with the database stalled for real: a proxy that keeps the connection
 * open and forwards nothing (a partition, not a reset), then delivers what it held when it heals.
 * Each write is let through until its COMMIT, which the stall holds: the write answers 503
 * DATABASE_UNAVAILABLE at its deadline, and once the held COMMIT reaches the server, nothing it
 * tried is in the database. The page and api/status keep answering while it is stalled.
 */
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { FormClient, serve, MOUNT } from '../web/fixture.js';
import { knexConfigFromUrl } from '../../../lib/store/connect.js';
import type { LicenseManager } from '../../../lib/index.js';
import { appendAudit, listAudit, verifyAudit } from '../../../lib/audit/index.js';
import { dialectOf } from '../../../lib/store/dialects/index.js';

const DEADLINE_MS = 1000;
/** NOTE: only a guard against a hang; the tests assert what is answered, never how fast */
const GUARD = () => AbortSignal.timeout(30_000);

/** Every row of every table, so "nothing changed" means nothing at all. */
async function fingerprint(knex: Knex, kind: TestDb['kind']): Promise<Record<string, string[]>> {
  const tables: string[] =
    kind === 'postgres'
      ? ((await knex.raw('select tablename as t from pg_tables where schemaname = current_schema()')) as { rows: Array<{ t: string }> }).rows.map((r) => r.t)
      : ((await knex.raw('select table_name as t from information_schema.tables where table_schema = database()')) as [Array<{ t: string }>])[0].map(
          (r) => r.t,
        );
  const out: Record<string, string[]> = {};
  for (const table of tables.sort()) out[table] = ((await knex(table).select()) as unknown[]).map((row) => JSON.stringify(row)).sort();
  return out;
}

withDbs(
  'a database that stops answering (SPEC 21)',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    let proxy: TcpProxy | undefined;
    let web: { origin: string; close: () => Promise<void> } | undefined;
    let direct: Knex | undefined;
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(async () => {
      await proxy?.flush();
      await managers.stopAll();
      await web?.close();
      await proxy?.close();
      await direct?.destroy();
      proxy = web = direct = undefined;
    });

    async function setUp(): Promise<{ db: TestDb; lm: LicenseManager; base: string }> {
      const db = await dbs.fresh();
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      direct = knexFactory(db.config);
      const lm = await managers.start(db, vendor, testClock('2027-04-10T12:00:00Z'), {
        db: knexConfigFromUrl(proxy.through(db.url)),
        dbTimeoutMs: DEADLINE_MS,
        refreshSeconds: 3600,
      });
      await lm.setLicense(await vendor.issue({ serverId: lm.serverId, licensee: 'Stalled Ltd', exp: seconds('2027-09-01T00:00:00Z') }));
      await lm.recordAnalysis({ project: 'p', branch: 'main', loc: 1200 });
      web = await serve(lm.router());
      return { db, lm, base: `${web.origin}${MOUNT}` };
    }

    /** Lets `call` run until its COMMIT, holds that, and checks nothing of it lands when the stall heals. */
    async function stalledAtCommit<T>(db: TestDb, what: string, call: () => Promise<T>): Promise<T> {
      const before = await fingerprint(direct!, db.kind);
      proxy!.stall({ when: /COMMIT/ });
      const answer = await call();
      expect(proxy!.stalled, `${what} reached its COMMIT`).to.equal(true);
      await proxy!.flush();
      expect(await fingerprint(direct!, db.kind), `nothing of ${what} is in the database`).to.deep.equal(before);
      return answer;
    }

    it('setLicense, recordAnalysis and runJob answer DATABASE_UNAVAILABLE at the deadline, and their held COMMIT never applies', async function () {
      this.timeout(120_000);
      const { db, lm } = await setUp();
      const renewal = await vendor.issue({ serverId: lm.serverId, licensee: 'Renewed Ltd', exp: seconds('2028-09-01T00:00:00Z') });

      const set = await stalledAtCommit(db, 'setLicense', () => refusal(lm.setLicense(renewal)));
      expect(set.code).to.equal('DATABASE_UNAVAILABLE');
      expect(set.status).to.equal(503);
      const recorded = await stalledAtCommit(db, 'recordAnalysis', () => refusal(lm.recordAnalysis({ project: 'q', branch: 'main', loc: 5 })));
      expect(recorded.code).to.equal('DATABASE_UNAVAILABLE');
      const run = await stalledAtCommit(db, 'runJob', () => lm.runJob());
      expect(run.outcome).to.equal('failed');

      // healed: the same writes apply now, once
      expect((await lm.setLicense(renewal)).license?.licensee).to.equal('Renewed Ltd');
      expect((await lm.recordAnalysis({ project: 'q', branch: 'main', loc: 5 })).loc.used).to.equal(1205);
      expect((await lm.runJob()).outcome).to.equal('ok');
    });

    it('the page form and the API writes answer 503 DATABASE_UNAVAILABLE, and their held COMMIT never applies', async function () {
      this.timeout(120_000);
      const { db, lm, base } = await setUp();
      const browser = new FormClient(base);
      const { token } = await browser.get();
      const renewal = await vendor.issue({ serverId: lm.serverId, licensee: 'Renewed Ltd', exp: seconds('2028-09-01T00:00:00Z') });
      const json = (method: string, path: string, body: unknown) =>
        fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: GUARD() });

      const form = await stalledAtCommit(db, 'the threshold form', () => browser.post('/loc-threshold', { _csrf: token, percent: '70' }));
      expect(form.res.status).to.equal(503);
      expect(form.html).to.contain('The threshold was not saved');
      for (const [method, path, body] of [
        ['POST', '/api/license', { key: renewal }],
        ['PUT', '/api/loc-threshold', { percent: 70 }],
      ] as const) {
        const res = await stalledAtCommit(db, `${method} ${path}`, () => json(method, path, body));
        expect(res.status, `${method} ${path}`).to.equal(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('DATABASE_UNAVAILABLE');
      }
      expect(lm.status().loc.threshold).to.equal(90);
    });

    it('a lone audit append (one round trip with its fence on PostgreSQL) never applies once held, and stores its text as written', async function () {
      this.timeout(120_000);
      const { db, lm } = await setUp();
      const input = { at: new Date('2027-04-10T12:00:00Z'), actor: "o'Neil ?\\ $1 ??", action: 'threshold_changed' as const, detail: { from: 1, to: 2 } };
      const held = await stalledAtCommit(db, 'an audit append', () =>
        appendAudit(lm.knex, input).then(
          () => undefined,
          (err: unknown) => err,
        ),
      );
      expect(dialectOf(lm.knex).isUnavailable(held), String(held)).to.equal(true);

      const entry = await appendAudit(lm.knex, input);
      const [stored] = await listAudit(direct!, { limit: 1 });
      expect(stored).to.deep.include({ id: entry.id, actor: input.actor, hash: entry.hash });
      expect((await verifyAudit(direct!)).ok).to.equal(true);
    });

    it('while the database is stalled, the page and api/status answer from the snapshot', async function () {
      this.timeout(120_000);
      const { base, lm } = await setUp();
      proxy!.stall();
      const status = await fetch(`${base}/api/status`, { signal: GUARD() });
      expect(status.status).to.equal(200);
      expect(((await status.json()) as { license: { licensee: string } }).license.licensee).to.equal('Stalled Ltd');
      const page = await fetch(`${base}/`, { signal: GUARD() });
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('Stalled Ltd');
      // a refresh that gets no answer says so, and the state stands
      const refreshed = await lm.refresh();
      expect(refreshed.warnings.map((w) => w.code)).to.include('DATABASE_UNAVAILABLE');
      expect(refreshed.state).to.equal('active');
      await proxy!.flush();
    });
  },
  ['postgres', 'mysql'],
);
