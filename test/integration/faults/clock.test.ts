/**
 * SPEC 15.1 on real databases: a wall clock that jumps without the monotonic clock leaves no
 * mark; a clock set back across a restart is judged against the mark; clock-reset is the way out.
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import { withDbs } from '../../helpers/dbs.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, twoClocks } from '../../helpers/managers.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';
import { listAudit, verifyAudit } from '../../../lib/audit/index.js';
import { DAY_MS } from '../../../lib/time.js';

const YEAR = 365 * DAY_MS;

const codes = (s: { warnings: { code: string }[] }) => s.warnings.map((w) => w.code);

withDbs('clock faults (SPEC 15.1)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('a +10-year jump for one refresh, then back: CLOCK_SKEW while it lasts, no lasting effect, fresh keys accepted', async () => {
    const db = await dbs.fresh();
    // the real date: PostgreSQL and MariaDB witness this clock with their own (SPEC 21)
    const start = Math.floor(Date.now() / 1000) * 1000;
    const clock = twoClocks(new Date(start).toISOString());
    const lm = await managers.start(db, vendor, clock, { monotonic: clock.monotonic });
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, exp: Math.floor(start / 1000) + 190 * 86_400, grace: 14 }));

    clock.pass(10_000);
    clock.setWall(clock.wall + 10 * YEAR);
    const jumped = await lm.refresh();
    expect(jumped.state).to.equal('active');
    expect(codes(jumped)).to.include('CLOCK_SKEW');
    expect(jumped.details.evaluatedAt).to.equal(new Date(start + 10_000).toISOString());
    expect(lm.hasFeature('sso')).to.equal(true);
    // a key set during the jump is judged at the trusted time too
    const during = await lm.setLicense(await vendor.issue({ serverId: lm.serverId, exp: Math.floor(start / 1000) + 280 * 86_400, licensee: 'During' }));
    expect(during.license?.licensee).to.equal('During');

    clock.setWall(start + 20_000);
    clock.pass(10_000);
    const back = await lm.refresh();
    expect(back.state).to.equal('active');
    expect(codes(back)).to.not.include('CLOCK_SKEW');
    expect(codes(back)).to.not.include('CLOCK_BACKWARDS');
    const fresh = await lm.setLicense(await vendor.issue({ serverId: lm.serverId, exp: Math.floor(start / 1000) + 400 * 86_400, licensee: 'Fresh' }));
    expect(fresh.state).to.equal('active');
    expect(fresh.license?.licensee).to.equal('Fresh');

    // nothing was marked from the jump: another node (or a restart) on the right clock is fine
    const other = await managers.start(db, vendor, clock, { monotonic: () => 5 });
    expect(other.status().state).to.equal('active');
    expect(codes(other.status())).to.not.include('CLOCK_SKEW');
    expect(codes(other.status())).to.not.include('CLOCK_BACKWARDS');
  });

  it('a clock set back across a restart after days of confirmed time is CLOCK_BACKWARDS, judged against the mark', async () => {
    const db = await dbs.fresh();
    // days pass on the host's own clock (`now` alone is trusted as is, and marked)
    const clock = twoClocks('2027-05-20T00:00:00Z');
    const first = await managers.start(db, vendor, clock);
    await first.setLicense(await vendor.issue({ serverId: first.serverId, exp: seconds('2027-06-01T00:00:00Z'), grace: 14 }));
    for (let day = 0; day < 3; day++) {
      clock.pass(DAY_MS);
      await first.refresh();
    }
    expect(first.status().state).to.equal('expiring');
    await managers.stopAll();

    // restarted with the clock set back to a date when the license was still fully active (and,
    // on PostgreSQL and MariaDB, away from the database server's clock as well)
    const back = twoClocks('2027-03-01T00:00:00Z');
    const second = await managers.start(db, vendor, back, { monotonic: back.monotonic });
    const status = second.status();
    expect(codes(status)).to.include('CLOCK_BACKWARDS');
    expect(status.details.evaluatedAt).to.equal('2027-05-23T00:00:00.000Z');
    expect(status.state).to.equal('expiring');
  });

  it('clock-reset sets the mark to now, is recorded in the audit log, and the status shows it for 30 days', async () => {
    const db = await dbs.fresh();
    // a host whose own clock (trusted as is) was ten years ahead marked that time
    const ahead = twoClocks('2036-11-23T12:00:00Z');
    const wrong = await managers.start(db, vendor, ahead);
    const serverId = wrong.serverId;
    await managers.stopAll();

    const clock = twoClocks('2026-11-23T12:00:00Z');
    const lm = await managers.start(db, vendor, clock);
    expect(codes(lm.status())).to.include('CLOCK_BACKWARDS');
    const key = await vendor.issue({ serverId, exp: seconds('2027-06-01T00:00:00Z') });
    await lm.setLicense(key).then(
      () => expect.fail('expected LICENSE_EXPIRED'),
      (err) => expect(err.code).to.equal('LICENSE_EXPIRED'),
    );

    const out = { stdout: '', stderr: '' };
    const io: CliIo = {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      env: {},
      now: clock.now,
      cwd: process.cwd(),
    };
    expect(await runCli(['clock-reset', '--db', db.url, '--actor', 'ops-alice'], io), out.stderr).to.equal(0);
    expect(out.stdout).to.include('2026-11-23T12:00:00.000Z').and.include('2036-11-23T12:00:00.000Z').and.include('ops-alice');

    clock.pass(1000);
    const after = await lm.refresh();
    expect(codes(after)).to.not.include('CLOCK_BACKWARDS');
    expect(codes(after)).to.include('CLOCK_RESET');
    expect(after.warnings.find((w) => w.code === 'CLOCK_RESET')!.message).to.include('ops-alice');
    expect((await lm.setLicense(key)).state).to.equal('active');

    const knex = knexFactory(db.config);
    try {
      const entries = await listAudit(knex);
      const reset = entries.find((e) => e.action === 'clock_reset');
      expect(reset).to.deep.include({ actor: 'ops-alice', detail: { from: '2036-11-23T12:00:00.000Z', to: '2026-11-23T12:00:00.000Z' } });
      expect((await verifyAudit(knex)).ok).to.equal(true);
    } finally {
      await knex.destroy();
    }

    clock.pass(31 * DAY_MS);
    expect(codes(await lm.refresh())).to.not.include('CLOCK_RESET');
  });
});

describe('clock-reset CLI usage', () => {
  it('refuses a SQLite path that does not exist and needs --actor', async () => {
    const out = { stdout: '', stderr: '' };
    const io: CliIo = {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      env: {},
      now: () => new Date(),
      cwd: process.cwd(),
    };
    expect(await runCli(['clock-reset', '--db', 'sqlite:/nonexistent/lm.db', '--actor', 'x'], io)).to.equal(2);
    expect(out.stderr).to.include('There is no SQLite database at /nonexistent/lm.db');
    expect(await runCli(['clock-reset', '--db', 'sqlite:/nonexistent/lm.db'], io)).to.equal(2);
  });
});
