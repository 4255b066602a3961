import { expect } from 'chai';
import knexFactory from 'knex';
import { createLease } from '../../../lib/jobs/lease.js';
import { createOutbox } from '../../../lib/notify/outbox.js';
import type { DueNotification } from '../../../lib/notify/types.js';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, mailTo, SERVER_ID, type JobHarness } from '../../helpers/job-deps.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

const ADMIN_COUNT = 25;
const ADMINS = Array.from({ length: ADMIN_COUNT }, (_, i) => ({ name: `Admin ${i}`, email: `admin${i}@example.com` }));

function notice(i: number): DueNotification {
  return {
    dedupKey: `probe:${i}`,
    kind: 'grace',
    lid: 'lid-probe',
    facts: {
      serverId: SERVER_ID,
      lid: 'lid-probe',
      licensee: null,
      edition: null,
      expiresAt: null,
      daysLeft: null,
      graceEndsAt: null,
      loc: { used: 0, limit: null, threshold: 90, percent: null },
      at: new Date(0).toISOString(),
    },
  };
}

withDbs('two nodes on one database', (dbs) => {
  let smtp: SmtpTestServer;
  const open: JobHarness[] = [];

  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
    smtp.clear();
  });

  it('two job services running at the same time send each notification once', async () => {
    const db = await dbs.fresh();
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: ADMINS, loc: { used: 990, threshold: 90 } });
    const a = await jobHarness(db, world, { mail: mailTo(smtp.url) });
    open.push(a);
    const b = await jobHarness(db, world, { mail: mailTo(smtp.url) });
    open.push(b);

    for (let round = 1; round <= 3; round++) {
      // each round a new license in grace with a LOC limit already passed: two notices due
      world.setLicense({ exp: '2027-03-31T00:00:00Z', loc: 1000 });
      const runs = await Promise.all([a.jobs.runJob(), b.jobs.runJob(), a.jobs.runJob(), b.jobs.runJob()]);
      expect(
        runs.some((r) => r.ran),
        JSON.stringify(runs),
      ).to.equal(true);
      expect(
        runs.every((r) => r.outcome === 'ok' || r.outcome === 'skipped'),
        JSON.stringify(runs),
      ).to.equal(true);
      const counts = ADMINS.map((x) => smtp.to(x.email).length);
      expect(counts).to.deep.equal(ADMINS.map(() => 2 * round));
    }
    const rows = await a.jobs.notifications();
    expect(rows).to.have.length(6);
    expect(rows.every((r) => r.status === 'sent' && r.recipients === ADMIN_COUNT && r.attempts === 1)).to.equal(true);
  });

  it('claims: two nodes claiming the same pending notifications at once get each of them exactly once', async () => {
    const db = await dbs.fresh();
    const world = createWorld({ now: '2027-01-01T00:00:00Z' });
    const h = await jobHarness(db, world); // migrates
    open.push(h);
    const other = knexFactory(db.config);
    try {
      const [one, two] = [createOutbox(h.knex), createOutbox(other)];
      await one.enqueue(
        Array.from({ length: 30 }, (_, i) => notice(i)),
        world.now(),
      );
      await two.enqueue([notice(0), notice(1)], world.now()); // the same keys again: ignored
      const rows = await one.claimable(new Date(0));
      expect(rows).to.have.length(30);
      const now = world.now();
      const wins = await Promise.all(rows.flatMap((r) => [one.claim(r.id, 'node-one', now, new Date(0)), two.claim(r.id, 'node-two', now, new Date(0))]));
      for (let i = 0; i < rows.length; i++) {
        expect([wins[2 * i], wins[2 * i + 1]].filter(Boolean), `row ${rows[i]!.id}`).to.have.length(1);
      }
      expect(await one.claimable(new Date(0))).to.have.length(0);
    } finally {
      await other.destroy();
    }
  });

  it('a node skips the run while another holds the lease, and takes over once that lease has expired', async () => {
    const db = await dbs.fresh();
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: ADMINS.slice(0, 2) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z' });
    const h = await jobHarness(db, world, { mail: mailTo(smtp.url) });
    open.push(h);
    const dead = createLease(h.knex, { name: 'daily', holder: 'node-that-died', ttlMs: 30 * 60_000 });
    expect(await dead.acquire(world.now())).to.equal(true);

    const skipped = await h.jobs.runJob();
    expect(skipped).to.include({ ran: false, outcome: 'skipped', sent: 0 });
    expect(world.refreshes).to.equal(0);
    expect(smtp.messages).to.have.length(0);

    world.setNow('2027-03-31T00:29:59Z');
    expect(await h.jobs.runJob()).to.include({ ran: false });
    world.setNow('2027-03-31T00:30:00Z');
    expect(await h.jobs.runJob()).to.include({ ran: true, outcome: 'ok', sent: 1 });
    expect(smtp.messages).to.have.length(2);
    expect((await h.jobs.jobRuns()).map((r) => r.outcome)).to.deep.equal(['ok', 'skipped', 'skipped']);
  });

  it('a notification left in sending by a node that died mid-send is taken back after the claim timeout, and sent once', async () => {
    const db = await dbs.fresh();
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: ADMINS.slice(0, 2) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z' });
    const h = await jobHarness(db, world); // no mail: the grace notice is only recorded
    open.push(h);
    await h.jobs.runJob();
    const outbox = createOutbox(h.knex);
    const [row] = await outbox.claimable(new Date(0));
    expect(await outbox.claim(row!.id, 'node-that-died', world.now(), new Date(0))).to.equal(true);

    const mailing = await jobHarness(db, world, { mail: mailTo(smtp.url) });
    open.push(mailing);
    world.setNow('2027-03-31T00:29:59Z');
    expect(await mailing.jobs.runJob()).to.include({ sent: 0, pending: 1 });
    expect(smtp.messages).to.have.length(0);
    world.setNow('2027-03-31T00:30:00Z');
    expect(await mailing.jobs.runJob()).to.include({ sent: 1, pending: 0 });
    world.setNow('2027-04-01T00:00:00Z');
    await mailing.jobs.runJob();
    expect(smtp.messages.map((m) => m.to[0]).sort()).to.deep.equal(['admin0@example.com', 'admin1@example.com']);
  });
});
