/**
 * SPEC 15.4 with real parts: two host nodes, each its own OS process, on one PostgreSQL and on
 * one MariaDB database, behind a round-robin TCP proxy. Forms drawn by one node post to the
 * other; a license set through one node is in force on both within refreshSeconds; the daily
 * job run on both at once mails each notification once; a form token survives a restart.
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, seconds, type TestVendor } from '../../helpers/license-keys.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { Browser, eventually, request, startNode, type NodeProcess } from '../../helpers/cluster.js';

const NOW = '2027-04-10T12:00:00Z';
const ADMINS = ['ada@example.com', 'grace@example.com', 'linus@example.com'];

withDbs(
  'a cluster of two node processes',
  (dbs) => {
    let vendor: TestVendor;
    let smtp: SmtpTestServer;
    let nodes: NodeProcess[] = [];
    let proxy: TcpProxy | undefined;

    before(async () => {
      vendor = await testVendor();
      smtp = await startSmtp();
    });
    after(async () => {
      await smtp?.stop();
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') for (const n of nodes) console.error(`--- node ${n.port} ---\n${n.output}`);
      await proxy?.close();
      await Promise.all(nodes.map((n) => n.stop()));
      nodes = [];
    });

    it('serves any form from any node, sets a license on all, runs the job once, keeps CSRF across a restart', async function () {
      this.timeout(180_000);
      const db = await dbs.fresh();
      const env = {
        LM_DB_URL: db.url,
        LM_PUBLIC_KEY: JSON.stringify(vendor.pair.publicJwk),
        LM_SMTP_URL: smtp.url,
        LM_ADMINS: ADMINS.join(','),
        LM_REFRESH_SECONDS: '1',
        LM_CLOCK_OFFSET_MS: String(Date.parse(NOW) - Date.now()),
      };
      // both start at once on the empty database: migrations, server ID and CSRF secret race
      nodes = await Promise.all([startNode(env), startNode(env)]);
      const [a, b] = nodes as [NodeProcess, NodeProcess];
      const statusOf = async (n: NodeProcess) => JSON.parse((await request(`${n.base}/api/status`)).text);
      expect((await statusOf(a)).serverId).to.equal((await statusOf(b)).serverId);
      proxy = await startTcpProxy([
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ]);
      const front = proxy.through(a.base);

      // Set new license: the page from one node, the post to the other (round robin per connection)
      const browser = new Browser();
      const serverId = (await statusOf(a)).serverId as string;
      const key = await vendor.issue({ serverId, licensee: 'Cluster Corp', exp: seconds('2027-04-30T00:00:00Z') });
      const drawn = await browser.page(front);
      expect(drawn.status).to.equal(200);
      const posted = await browser.post(`${front}/license`, { _csrf: drawn.token, key });
      expect(posted.status, posted.text.slice(0, 500)).to.equal(303);
      expect(proxy.accepted).to.deep.equal([1, 1]);

      // in force on both nodes within refreshSeconds (polled, a bounded number of times)
      const inForce = async () => (await Promise.all(nodes.map(statusOf))).every((s) => s.license?.licensee === 'Cluster Corp');
      expect(await eventually(inForce)).to.equal(true);

      // more forms, alternating nodes through the proxy
      for (const percent of ['70', '75', '80']) {
        const page = await browser.page(front);
        const saved = await browser.post(`${front}/loc-threshold`, { _csrf: page.token, percent });
        expect(saved.status, saved.text.slice(0, 500)).to.equal(303);
      }
      expect(proxy.accepted).to.deep.equal([4, 4]);
      expect(await eventually(async () => (await Promise.all(nodes.map(statusOf))).every((s) => s.loc.threshold === 80))).to.equal(true);

      // the daily job on both nodes at once: the one-month reminder goes to each admin once
      smtp.clear();
      const runs = (await Promise.all([a, b, a, b].map((n) => request(`http://127.0.0.1:${n.port}/host/run-job`, { method: 'POST' })))).map((r) =>
        JSON.parse(r.text),
      );
      expect(
        runs.every((r) => r.outcome === 'ok' || r.outcome === 'skipped'),
        JSON.stringify(runs),
      ).to.equal(true);
      await Promise.all([a, b].map((n) => request(`http://127.0.0.1:${n.port}/host/run-job`, { method: 'POST' })));
      for (const admin of ADMINS) {
        const mails = smtp.to(admin);
        expect(mails, admin).to.have.length(1);
        expect(mails[0]!.parsed?.subject).to.contain('Cluster Host');
      }
      const knex = knexFactory(db.config);
      try {
        const rows = await knex('license_notifications').select('kind', 'status', 'recipients');
        expect(rows.map((r) => [r.kind, r.status, Number(r.recipients)])).to.deep.equal([['expiry-1m', 'sent', ADMINS.length]]);
      } finally {
        await knex.destroy();
      }

      // a token drawn by node A is accepted by node B, and by node A after it restarts
      const direct = new Browser();
      const fromA = await direct.page(a.base);
      const onB = await direct.post(`${b.base}/loc-threshold`, { _csrf: fromA.token, percent: '85' });
      expect(onB.status, onB.text.slice(0, 500)).to.equal(303);
      await a.stop();
      const restarted = await startNode(env);
      nodes[0] = restarted;
      const afterRestart = await direct.post(`${restarted.base}/loc-threshold`, { _csrf: fromA.token, percent: '60' });
      expect(afterRestart.status, afterRestart.text.slice(0, 500)).to.equal(303);
      expect((await statusOf(restarted)).loc.threshold).to.equal(60);
      // and a forged token is still refused on every node
      const forged = await direct.post(`${b.base}/loc-threshold`, {
        _csrf: `${fromA.token.slice(0, -2)}${fromA.token.endsWith('AA') ? 'BB' : 'AA'}`,
        percent: '10',
      });
      expect(forged.status).to.equal(403);
      // the restarted node ran the job at start too: nothing was mailed twice
      for (const admin of ADMINS) expect(smtp.to(admin), admin).to.have.length(1);
    });
  },
  ['postgres', 'mysql'],
);
