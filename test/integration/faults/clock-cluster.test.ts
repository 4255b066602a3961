/**
 * SPEC 21, first bullet, with real processes: one node's bad clock never expires the cluster.
 * Each node is its own OS process (test/helpers/cluster-node.ts) with a real monotonic clock;
 * a node's wall clock is moved by its offset, and "an hour passing for it alone" by adding to
 * its monotonic clock. The database server's clock is the real one.
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { request, startNode, type NodeProcess } from '../../helpers/cluster.js';
import { DAY_MS } from '../../../lib/time.js';

const AHEAD = 400 * DAY_MS;

interface Status {
  state: string;
  serverId: string;
  warnings: { code: string }[];
}

const codes = (s: Status) => s.warnings.map((w) => w.code);

withDbs(
  'one bad clock, real node processes (SPEC 21)',
  (dbs) => {
    let vendor: TestVendor;
    let nodes: NodeProcess[] = [];
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') for (const n of nodes) console.error(`--- node ${n.port} ---\n${n.output}`);
      await Promise.all(nodes.map((n) => n.stop()));
      nodes = [];
    });

    const start = async (db: TestDb, offsetMs = 0): Promise<NodeProcess> => {
      const node = await startNode({
        LM_DB_URL: db.url,
        LM_PUBLIC_KEY: JSON.stringify(vendor.pair.publicJwk),
        LM_REFRESH_SECONDS: '3600',
        LM_CLOCK_OFFSET_MS: String(offsetMs),
        LM_MONOTONIC: 'real',
      });
      nodes.push(node);
      return node;
    };
    const host = (n: NodeProcess, path: string) => n.base.replace('/admin/license', `/host/${path}`);
    const refresh = async (n: NodeProcess): Promise<Status> => JSON.parse((await request(host(n, 'refresh'), { method: 'POST' })).text) as Status;
    const setClock = async (n: NodeProcess, q: { wall?: number; mono?: number }) => {
      const reply = await request(`${host(n, 'clock')}?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`, { method: 'POST' });
      expect(reply.status).to.equal(200);
    };
    const setLicense = async (n: NodeProcess, serverId: string) => {
      // ends in 200 days: judged 400 days ahead it is long expired
      const key = await vendor.issue({ serverId, exp: Math.floor((Date.now() + 200 * DAY_MS) / 1000), grace: 14, features: ['sso'] });
      const reply = await request(`${n.base}/api/license`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
      expect(reply.status, reply.text).to.equal(200);
    };
    const storedMark = async (db: TestDb): Promise<number | undefined> => {
      const knex = knexFactory(db.config);
      try {
        const row = await knex('license_settings').where({ name: 'clock_high_water' }).first('value');
        return row ? Number(JSON.parse(row.value as string)) : undefined;
      } finally {
        await knex.destroy();
      }
    };

    it('a node booted 400 days ahead marks nothing: a node started after stays active, and the bad one is active once its clock is right', async function () {
      this.timeout(120_000);
      const db = await dbs.fresh();
      const bad = await start(db, AHEAD);
      const healthy = await start(db);
      const serverId = (await refresh(healthy)).serverId;
      await setLicense(healthy, serverId);

      const good = await refresh(healthy);
      expect(good.state).to.equal('active');
      expect(codes(good)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);
      const skewed = await refresh(bad);
      expect(codes(skewed)).to.include('CLOCK_SKEW').and.not.include('CLOCK_BACKWARDS');
      // judged at the database server's clock, not at its own 400 days ahead
      expect(skewed.state).to.equal('active');
      expect(await storedMark(db)).to.be.below(Date.now() + 10 * 60_000);

      await setClock(bad, { wall: 0 });
      const right = await refresh(bad);
      expect(right.state).to.equal('active');
      expect(codes(right)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);
      // and a node started after all this is active too
      const later = await refresh(await start(db));
      expect(later.state).to.equal('active');
      expect(codes(later)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);
    });

    it('a running node 400 days ahead for more than an hour of monotonic time marks nothing either', async function () {
      this.timeout(120_000);
      const db = await dbs.fresh();
      const [a, b] = [await start(db), await start(db)];
      await setLicense(b, (await refresh(b)).serverId);
      expect((await refresh(a)).state).to.equal('active');

      await setClock(a, { wall: AHEAD });
      expect(codes(await refresh(a))).to.include('CLOCK_SKEW');
      // an hour and ten minutes pass for node a alone (both its clocks), and the jump still holds
      await setClock(a, { wall: AHEAD + 70 * 60_000, mono: 70 * 60_000 });
      await refresh(a);
      const held = await refresh(a);
      expect(codes(held)).to.include('CLOCK_SKEW');
      expect(held.state).to.equal('active');
      expect(await storedMark(db)).to.be.below(Date.now() + 10 * 60_000);

      const other = await refresh(b);
      expect(other.state).to.equal('active');
      expect(codes(other)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);
      const later = await refresh(await start(db));
      expect(later.state).to.equal('active');
      expect(codes(later)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);

      await setClock(a, { wall: 0 });
      const right = await refresh(a);
      expect(right.state).to.equal('active');
      expect(codes(right)).to.not.include.members(['CLOCK_BACKWARDS', 'CLOCK_SKEW']);
    });
  },
  ['postgres', 'mysql'],
);
