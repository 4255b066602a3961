/**
 * SPEC 21: the audit chain is anchored. Its head (entry count and hash) rides in every usage
 * report; `audit verify --head COUNT:HASH` finds a tail cut off together with the head row, an
 * emptied table, a deleted head row. A missing head row is AUDIT_CHAIN_BROKEN: start() still works
 * and says so, and an audited write is refused with the sentence, changing nothing.
 */
import { expect } from 'chai';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';
import { GENESIS_HASH } from '../../../lib/audit/index.js';
import type { UsageReportPayload } from '../../../lib/usage-report/build.js';
import type { LicenseManager } from '../../../lib/index.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

const T0 = '2026-11-23T12:00:00Z';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: {},
    now: () => new Date(T0),
    cwd: process.cwd(),
  };
  return { io, out };
}

async function verify(db: TestDb, head?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = capture();
  const code = await runCli(['audit', 'verify', '--db', db.url, ...(head ? ['--head', head] : [])], cli.io);
  return { code, ...cli.out };
}

withDbs('audit chain anchored in usage reports', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  /** an instance with a license and a few audited changes, and the head its usage report carries */
  async function reported(): Promise<{ db: TestDb; lm: LicenseManager; head: string; payload: UsageReportPayload }> {
    const db = await dbs.fresh();
    const lm = await managers.start(db, vendor, testClock(T0));
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId }), { actor: 'alice' });
    await lm.setLocThreshold(80, { actor: 'bob' });
    await lm.setLocThreshold(70, { actor: 'bob' });
    const report = await lm.usageReport();
    const payload = report.payload;
    const last = (await lm.auditLog({ limit: 1 }))[0]!;
    expect(payload.audit).to.deep.equal({ entries: 3, hash: last.hash });
    // the chain goes on after the report
    await lm.setLocThreshold(60, { actor: 'bob' });
    await lm.setLocThreshold(50, { actor: 'bob' });
    expect((await verify(db, `${payload.audit!.entries}:${payload.audit!.hash}`)).code).to.equal(0);
    return { db, lm, head: `${payload.audit!.entries}:${payload.audit!.hash}`, payload };
  }

  it('the report carries the head; a tail cut off together with the head row passes a plain verify and is found with --head', async () => {
    const { db, lm, head } = await reported();
    // the forger removes entries 3 to 5 and moves the head row back to entry 2, so the chain holds
    const two = (await lm.knex('license_audit').where({ id: 2 }).first('hash')) as { hash: string };
    await lm.knex('license_audit').where('id', '>=', 3).delete();
    await lm.knex('license_audit_head').where({ id: 1 }).update({ last_id: 2, hash: two.hash });
    expect((await verify(db)).code, 'a plain verify cannot see it').to.equal(0);
    const anchored = await verify(db, head);
    expect(anchored.code).to.equal(1);
    expect(anchored.stderr).to.equal(
      'AUDIT_CHAIN_BROKEN: The audit log does not hold at entry 3: the chain has 2 entries, but the head recorded elsewhere names entry 3: entries were removed from its end (2 entries before it verified).\n',
    );
  });

  it('a rewritten chain of the same length is found with --head', async () => {
    const { db, lm, head } = await reported();
    // the forger empties the log and its head, then writes a fresh chain of five entries
    await lm.knex('license_audit').delete();
    await lm.knex('license_audit_head').where({ id: 1 }).update({ last_id: 0, hash: GENESIS_HASH });
    for (let i = 0; i < 5; i++) await lm.setLocThreshold(40 + i, { actor: 'mallory' });
    expect((await verify(db)).code).to.equal(0);
    const anchored = await verify(db, head);
    expect(anchored.code).to.equal(1);
    expect(anchored.stderr).to.match(/^AUDIT_CHAIN_BROKEN: The audit log does not hold at entry 3: entry 3 is not the one the head recorded elsewhere names/);
  });

  it('an emptied table (and its head reset) passes a plain verify and is found with --head', async () => {
    const { db, lm, head } = await reported();
    await lm.knex('license_audit').delete();
    await lm.knex('license_audit_head').where({ id: 1 }).update({ last_id: 0, hash: GENESIS_HASH });
    expect((await verify(db)).stdout).to.equal('The audit log holds: 0 entries verified.\n');
    const anchored = await verify(db, head);
    expect(anchored.code).to.equal(1);
    expect(anchored.stderr).to.match(
      /^AUDIT_CHAIN_BROKEN: The audit log does not hold at entry 1: the chain has 0 entries, but the head recorded elsewhere names entry 3/,
    );
  });

  it('a deleted head row is AUDIT_CHAIN_BROKEN: verify says so, start() works and warns, setLicense is refused with the sentence and stores nothing', async () => {
    const { db, lm, head } = await reported();
    await lm.knex('license_audit_head').delete();
    for (const run of [await verify(db), await verify(db, head)]) {
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(
        /^AUDIT_CHAIN_BROKEN: The audit log does not hold at entry 6: the chain head \(the row of table license_audit_head\) is missing/,
      );
    }
    await lm.stop();

    // a node starting now still starts (SPEC 21) and says why
    const again = await managers.start(db, vendor, testClock(T0));
    const warning = again.status().warnings.find((w) => w.code === 'AUDIT_CHAIN_BROKEN');
    expect(warning?.message).to.match(/^The audit log was altered: its chain head \(the row of table license_audit_head\) is missing/);
    expect(again.status().state).to.equal('active');
    const keys = (await again.keyHistory()).length;
    const err = await refusal(again.setLicense(await vendor.issue({ serverId: again.serverId }), { actor: 'alice' }));
    expect(err.code).to.equal('AUDIT_CHAIN_BROKEN');
    expect(err.status).to.equal(409);
    expect(err.message).to.match(/chain head .* is missing.*Nothing was changed\.$/);
    expect((await again.keyHistory()).length).to.equal(keys);
    expect((await refusal(again.setLocThreshold(33))).code).to.equal('AUDIT_CHAIN_BROKEN');
    expect(again.status().loc.threshold).to.equal(50);
    // the usage report still goes out, saying the head did not hold
    const report = await again.usageReport();
    expect(report.payload.audit).to.deep.include({ entries: 5, broken: true });
  });

  it('a head row that names another entry than the log ends with is AUDIT_CHAIN_BROKEN in the status', async () => {
    const { db, lm } = await reported();
    await lm.knex('license_audit').where({ id: 5 }).delete();
    await lm.stop();
    const again = await managers.start(db, vendor, testClock(T0));
    expect(again.status().warnings.find((w) => w.code === 'AUDIT_CHAIN_BROKEN')?.message).to.match(/its chain head names entry 5, but the log ends at entry 4/);
  });

  it('--head that is not COUNT:HASH is a usage error', async () => {
    const db = await dbs.fresh();
    await managers.start(db, vendor, testClock(T0));
    const run = await verify(db, '3:nothex');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/^error: --head must be COUNT:HASH/);
  });
});
