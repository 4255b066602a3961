// End to end through createLicenseManager: start() runs the job once, and the manager's runJob()
// is the job service's.
import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { mailTo } from '../../helpers/job-deps.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

const ADMINS = [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Grace', email: 'grace@example.com' }, { name: 'Bob' }];

withDbs('the job through the license manager', (dbs) => {
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

  /** a trial key (valid on any server ID) ending 31 March 2027 with a LOC limit of 1,000 */
  const trialKey = () => vendor.issue({ serverId: '*', type: 'trial', exp: seconds('2027-03-31T00:00:00Z'), limits: { loc: 1000 } });
  const subjects = (address: string) => smtp.to(address).map((m) => m.parsed!.subject);

  it('start() runs the job once: the one-month reminder goes out; later runs send the LOC notice and the grace notice, each once', async () => {
    const clock = testClock('2027-03-05T09:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock, {
      licenseKey: await trialKey(),
      mail: mailTo(smtp.url),
      getGlobalAdmins: async () => ADMINS,
    });
    expect(subjects('ada@example.com')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 26 days left']);
    expect(subjects('grace@example.com')).to.have.length(1);
    const [first] = await lm.jobs.jobRuns();
    expect(first).to.include({ ran: true, outcome: 'ok', sent: 1, startedAt: '2027-03-05T09:00:00.000Z' });
    const mail = smtp.messages[0]!.parsed!;
    expect(mail.text).to.include(lm.serverId);
    expect(mail.text).to.include('http://localhost:3000/admin/license');

    await lm.recordAnalysis({ project: 'core', branch: 'main', loc: 950 });
    clock.set('2027-03-06T09:00:00Z');
    expect(await lm.runJob()).to.include({ sent: 1 });
    expect(subjects('ada@example.com')[1]).to.equal('Acme Code Scanner: 95% of the licensed lines of code are used');

    clock.set('2027-03-31T09:00:00Z');
    await lm.runJob();
    await lm.runJob();
    expect(subjects('ada@example.com').slice(2)).to.deep.equal([
      'Acme Code Scanner: the license has expired; commercial features stay on through 13 April 2027',
    ]);
    expect(await lm.jobs.locHistory()).to.deep.equal([
      { day: '2027-03-05', used: 0 },
      { day: '2027-03-06', used: 950 },
      { day: '2027-03-31', used: 950 },
    ]);
    expect((await lm.jobs.health()).adminsWithoutEmail).to.deep.equal(['Bob']);
  });

  it('two managers on one database, running the job at the same time, send each notification once', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2027-01-31T09:00:00Z');
    const options = { licenseKey: await trialKey(), mail: mailTo(smtp.url), getGlobalAdmins: async () => ADMINS };
    const a = await managers.start(db, vendor, clock, options);
    const b = await managers.start(db, vendor, clock, options);
    expect(subjects('ada@example.com')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 59 days left']);

    for (const at of ['2027-02-28T09:00:00Z', '2027-02-28T09:00:01Z', '2027-03-31T09:00:00Z', '2027-04-14T09:00:00Z']) {
      clock.set(at);
      await Promise.all([a.runJob(), b.runJob(), a.runJob(), b.runJob()]);
    }
    const expected = [
      'Acme Code Scanner: the license is valid until 30 March 2027, 59 days left',
      'Acme Code Scanner: the license is valid until 30 March 2027, 31 days left',
      'Acme Code Scanner: the license has expired; commercial features stay on through 13 April 2027',
      'Acme Code Scanner: the license has expired',
    ];
    expect(subjects('ada@example.com')).to.deep.equal(expected);
    expect(subjects('grace@example.com')).to.deep.equal(expected);
  });
});
