/**
 * SPEC 22, renewal hand-off: a usable key that starts later than the current one is
 * `status().next`; when it starts no later than the current one ends, no expiry reminder goes out
 * and no expiring warning shows; a gap is a warning naming the days; at its start it takes over
 * on every node with no action. Real databases, a real SMTP server, the injected clock.
 */
import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, seconds, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock, type TestClock } from '../../helpers/managers.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import type { LicenseManager } from '../../../lib/index.js';
import type { TestDb } from '../../helpers/dbs.js';

const ADMINS = [{ name: 'Ada', email: 'ada@example.com' }];
const EXP = '2027-06-01T00:00:00Z'; // valid until 31 May 2027

withDbs('renewal hand-off (SPEC 22)', (dbs) => {
  let vendor: TestVendor;
  let smtp: SmtpTestServer;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  afterEach(async () => {
    await managers.stopAll();
    smtp.clear();
  });

  const mailOptions = () => ({ mail: { transport: smtp.url, from: 'license@scanner.example' }, getGlobalAdmins: async () => ADMINS });

  async function started(): Promise<{ lm: LicenseManager; clock: TestClock; db: TestDb; current: string }> {
    const clock = testClock('2026-06-01T09:00:00Z');
    const db = await dbs.fresh();
    const lm = await managers.start(db, vendor, clock, mailOptions());
    const current = await vendor.issue({ serverId: lm.serverId, exp: seconds(EXP), licensee: 'Acme Corp', features: ['sso'] });
    await lm.setLicense(current, { actor: 'alice' });
    return { lm, clock, db, current };
  }

  /** one run of the job at `iso`; the subjects Ada received in it */
  async function runAt(lm: LicenseManager, clock: TestClock, iso: string): Promise<string[]> {
    const before = smtp.to('ada@example.com').length;
    clock.set(iso);
    const result = await lm.runJob();
    expect(result.outcome, JSON.stringify(result)).to.equal('ok');
    return smtp
      .to('ada@example.com')
      .slice(before)
      .map((m) => m.parsed!.subject ?? '');
  }

  it('a next license that starts when the current one ends: shown as next, no reminder, no expiring warning; it takes over at its start on every node', async () => {
    const { lm, clock, db } = await started();
    // without a next license the two-month reminder goes out (this test can fail)
    expect(await runAt(lm, clock, '2027-04-01T00:00:00Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 31 May 2027, 61 days left']);

    clock.set('2027-04-10T00:00:00Z'); // 52 days left: expiring
    const renewal = await vendor.issue({
      serverId: lm.serverId,
      licensee: 'Acme Corporation',
      nbf: seconds(EXP),
      exp: seconds('2028-06-01T00:00:00Z'),
      features: ['sso', 'audit'],
    });
    const status = await lm.setLicense(renewal, { actor: 'alice' });
    expect(status.state).to.equal('expiring');
    expect(status.license?.licensee).to.equal('Acme Corp');
    expect(status.next).to.deep.include({
      licensee: 'Acme Corporation',
      validFrom: '2027-06-01',
      validUntil: '2028-05-31',
      startsAt: '2027-06-01T00:00:00.000Z',
      covered: true,
      gapDays: 0,
    });
    expect(status.warnings.map((w) => w.code)).to.not.include('LICENSE_EXPIRING');

    expect(await runAt(lm, clock, '2027-05-01T00:00:00Z')).to.deep.equal([]);
    expect(await runAt(lm, clock, '2027-05-31T23:59:59Z')).to.deep.equal([]);
    expect(lm.hasFeature('audit')).to.equal(false);

    const other = await managers.start(db, vendor, clock, mailOptions());
    expect(other.status().next?.lid).to.equal(status.next?.lid);

    // the start: each node's periodic refresh re-evaluates against the clock, no action needed
    clock.set('2027-06-01T00:00:00Z');
    for (const node of [lm, other]) {
      const s = await node.refresh();
      expect(s.state).to.equal('active');
      expect(s.license?.licensee).to.equal('Acme Corporation');
      expect(s.next).to.equal(null);
      expect(node.hasFeature('audit')).to.equal(true);
    }
    expect(await runAt(lm, clock, '2027-06-01T00:00:01Z')).to.deep.equal([]);
  });

  it('a gap between the two: a warning naming the days without a license, and the reminders still go out', async () => {
    const { lm, clock } = await started();
    clock.set('2027-04-10T00:00:00Z');
    const renewal = await vendor.issue({
      serverId: lm.serverId,
      licensee: 'Acme Corporation',
      nbf: seconds('2027-06-15T00:00:00Z'),
      exp: seconds('2028-06-15T00:00:00Z'),
    });
    const status = await lm.setLicense(renewal, { actor: 'alice' });
    expect(status.next).to.deep.include({ covered: false, gapDays: 14, validFrom: '2027-06-15' });
    const gap = status.warnings.find((w) => w.code === 'LICENSE_GAP');
    expect(gap?.message).to.equal(
      'The current license is valid until 31 May 2027 and the next one starts on 15 June 2027: 14 days without a license (1 June 2027 to 14 June 2027). ' +
        'Ask your vendor to move the start of the next license, or for a key that covers those days.',
    );
    expect(status.warnings.map((w) => w.code)).to.include('LICENSE_EXPIRING');
    expect(await runAt(lm, clock, '2027-05-01T00:00:00Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 31 May 2027, 31 days left']);

    // in the gap the current key is in grace and the next one still waits
    clock.set('2027-06-05T00:00:00Z');
    const inGap = await lm.refresh();
    expect(inGap.state).to.equal('grace');
    expect(inGap.next?.lid).to.be.a('string');
    clock.set('2027-06-15T00:00:00Z');
    const after = await lm.refresh();
    expect(after.state).to.equal('active');
    expect(after.license?.licensee).to.equal('Acme Corporation');
  });

  it('a retired key is not the next license: the reminders go out again', async () => {
    const { lm, clock } = await started();
    clock.set('2027-04-10T00:00:00Z');
    const renewal = await vendor.issue({ serverId: lm.serverId, nbf: seconds(EXP), exp: seconds('2028-06-01T00:00:00Z') });
    const s = await lm.setLicense(renewal, { actor: 'alice' });
    const lid = s.next!.lid;
    const retired = await lm.retireKey(lid, { actor: 'alice' });
    expect(retired.next).to.equal(null);
    expect(retired.warnings.map((w) => w.code)).to.include('LICENSE_EXPIRING');
    expect(await runAt(lm, clock, '2027-05-01T00:00:00Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 31 May 2027, 31 days left']);
  });
});
