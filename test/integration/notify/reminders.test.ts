import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, mailedJobs, type JobHarness, type World } from '../../helpers/job-deps.js';

const ADMINS = [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Grace', email: 'grace@example.com' }, { name: 'Bob' }];
// NOTE: 31 March: one calendar month back is 28 February (2027 is not a leap year), two is 31 January.
const EXP = '2027-03-31T00:00:00.000Z';

withDbs('expiry reminders', (dbs) => {
  const mailed = mailedJobs(dbs);
  let h: JobHarness | null = null;

  async function start(world: World): Promise<JobHarness> {
    h = await mailed.start(world);
    return h;
  }

  /** runs the job at `at` and returns the subjects Ada received in that run */
  async function runAt(world: World, at: string): Promise<string[]> {
    const before = mailed.smtp.to('ada@example.com').length;
    world.setNow(at);
    const result = await h!.jobs.runJob();
    expect(result.outcome, JSON.stringify(result)).to.equal('ok');
    return mailed.smtp
      .to('ada@example.com')
      .slice(before)
      .map((m) => m.parsed!.subject ?? '');
  }

  it('sends the two-month reminder at exp minus two calendar months, not one second before, to each admin with an email, once', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);

    expect(await runAt(world, '2027-01-30T23:59:59.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-01-31T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 59 days left']);
    expect(mailed.smtp.to('grace@example.com')).to.have.length(1);
    expect(mailed.smtp.messages).to.have.length(2);

    expect(await runAt(world, '2027-01-31T00:00:00.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-02-01T00:00:00.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-02-27T23:59:59.000Z')).to.deep.equal([]);
  });

  it('sends the one-month reminder at exp minus one calendar month, not one second before, once, and nothing more before exp', async () => {
    const world = createWorld({ now: '2027-02-01T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);

    expect(await runAt(world, '2027-02-01T00:00:00.000Z')).to.have.length(1); // the two-month one
    expect(await runAt(world, '2027-02-27T23:59:59.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-02-28T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 31 days left']);
    expect(await runAt(world, '2027-03-01T00:00:00.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-03-30T23:59:59.000Z')).to.deep.equal([]);
    expect(mailed.smtp.to('ada@example.com')).to.have.length(2);
  });

  it('gives a key set with less than a month left only the one-month reminder', async () => {
    const world = createWorld({ now: '2027-03-05T10:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2027-03-05T10:00:00Z' });
    await start(world);

    expect(await runAt(world, '2027-03-05T10:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 26 days left']);
    expect(await runAt(world, '2027-03-20T10:00:00.000Z')).to.deep.equal([]);
  });

  it('gives a key set with less than a month left only the one-month reminder, also when it was set one second after the one-month date', async () => {
    const world = createWorld({ now: '2027-02-28T00:00:01Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2027-02-28T00:00:01Z' });
    await start(world);

    expect(await runAt(world, '2027-02-28T00:00:01.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 31 days left']);
  });

  it('gives a key set between two months and one month before exp the two-month reminder at once, then the one-month reminder on its date', async () => {
    const world = createWorld({ now: '2027-02-10T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2027-02-10T00:00:00Z' });
    await start(world);

    expect(await runAt(world, '2027-02-10T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 49 days left']);
    expect(await runAt(world, '2027-02-28T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 31 days left']);
  });

  it('catches up a reminder missed on its day at the next run', async () => {
    const world = createWorld({ now: '2027-02-03T08:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);

    // no run on 31 January: the host was down for three days
    expect(await runAt(world, '2027-02-03T08:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 56 days left']);
  });

  it('sends only the one-month reminder when the first run after the two-month date comes after the one-month date', async () => {
    const world = createWorld({ now: '2027-03-02T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);

    expect(await runAt(world, '2027-03-02T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 29 days left']);
  });

  it('reminds again for a new license (once per license ID)', async () => {
    const world = createWorld({ now: '2027-01-31T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);
    expect(await runAt(world, '2027-01-31T00:00:00.000Z')).to.have.length(1);

    world.setLicense({ exp: '2027-04-30T00:00:00Z', setAt: '2027-02-01T00:00:00Z' });
    expect(await runAt(world, '2027-02-01T00:00:00.000Z')).to.deep.equal([]);
    expect(await runAt(world, '2027-02-28T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 29 April 2027, 61 days left']);
  });

  it('records every reminder as a sent notification row with its recipients', async () => {
    const world = createWorld({ now: '2027-02-28T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: EXP, setAt: '2026-04-01T00:00:00Z' });
    await start(world);
    await runAt(world, '2027-02-28T00:00:00.000Z');

    const rows = await h!.jobs.notifications();
    expect(rows.map((r) => [r.kind, r.status, r.recipients, r.attempts, r.sentAt])).to.deep.equal([['expiry-1m', 'sent', 2, 1, '2027-02-28T00:00:00.000Z']]);
    expect(rows[0]!.dedupKey).to.equal(`expiry-1m:${world.currentKey()!.lid}`);
  });
});
