import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, mailedJobs, type JobHarness, type World } from '../../helpers/job-deps.js';

const ADMINS = [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Bob' }];

withDbs('grace and expired notices, LOC threshold notices', (dbs) => {
  const mailed = mailedJobs(dbs);
  let h: JobHarness | null = null;

  async function start(world: World): Promise<void> {
    h = await mailed.start(world);
  }

  /** runs the job (at `at` when given) and returns the subjects Ada received in that run */
  async function run(world: World, at?: string): Promise<string[]> {
    const before = mailed.smtp.to('ada@example.com').length;
    if (at) world.setNow(at);
    const result = await h!.jobs.runJob();
    expect(result.outcome, JSON.stringify(result)).to.equal('ok');
    return mailed.smtp
      .to('ada@example.com')
      .slice(before)
      .map((m) => m.parsed!.subject ?? '');
  }

  it('sends a notice when the license enters grace and when it becomes expired, once each', async () => {
    const world = createWorld({ now: '2027-03-30T23:59:59Z', admins: ADMINS });
    world.setLicense({ exp: '2027-03-31T00:00:00Z', grace: 14 });
    await start(world);

    expect(await run(world, '2027-03-30T23:59:59.000Z')).to.deep.equal(['Acme Code Scanner: the license is valid until 30 March 2027, 1 day left']);
    expect(await run(world, '2027-03-31T00:00:00.000Z')).to.deep.equal([
      'Acme Code Scanner: the license has expired; commercial features stay on through 13 April 2027',
    ]);
    expect(await run(world, '2027-04-05T00:00:00.000Z')).to.deep.equal([]);
    expect(await run(world, '2027-04-13T23:59:59.000Z')).to.deep.equal([]);
    expect(await run(world, '2027-04-14T00:00:00.000Z')).to.deep.equal(['Acme Code Scanner: the license has expired']);
    expect(await run(world, '2027-04-15T00:00:00.000Z')).to.deep.equal([]);
    expect(await run(world, '2027-06-01T00:00:00.000Z')).to.deep.equal([]);
  });

  it('sends the expired notice without a grace notice for a license without grace days', async () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: ADMINS });
    world.setLicense({ exp: '2027-03-31T00:00:00Z', grace: 0, setAt: '2027-03-21T00:00:00Z' });
    await start(world);

    expect(await run(world)).to.deep.equal(['Acme Code Scanner: the license has expired']);
  });

  it('sends the LOC threshold notice when consumption first reaches the threshold, and not again while it stays over', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 899, threshold: 90 } });
    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1000 });
    await start(world);

    expect(await run(world)).to.deep.equal([]);
    world.loc.used = 900;
    expect(await run(world)).to.deep.equal(['Acme Code Scanner: 90% of the licensed lines of code are used']);
    world.loc.used = 999;
    expect(await run(world)).to.deep.equal([]);
    world.loc.used = 1200;
    expect(await run(world)).to.deep.equal([]);
  });

  it('re-arms the LOC threshold notice when consumption falls back under it: over again sends a second notice', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 950, threshold: 90 } });
    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1000 });
    await start(world);

    expect(await run(world)).to.have.length(1);
    world.loc.used = 899;
    expect(await run(world)).to.deep.equal([]);
    expect(await run(world)).to.deep.equal([]);
    world.loc.used = 910;
    expect(await run(world)).to.deep.equal(['Acme Code Scanner: 91% of the licensed lines of code are used']);
    expect(await run(world)).to.deep.equal([]);
    expect((await h!.jobs.notifications()).map((n) => n.kind)).to.deep.equal(['loc-threshold', 'loc-threshold']);
  });

  it('re-arms the LOC threshold notice when the threshold changes, and again when it changes back', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 950, threshold: 90 } });
    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1000 });
    await start(world);

    expect(await run(world)).to.have.length(1);
    world.loc.threshold = 80;
    expect(await run(world)).to.deep.equal(['Acme Code Scanner: 95% of the licensed lines of code are used']);
    expect(await run(world)).to.deep.equal([]);
    world.loc.threshold = 90;
    expect(await run(world)).to.have.length(1);
    world.loc.threshold = 99;
    expect(await run(world)).to.deep.equal([]); // 95% is under the new threshold
  });

  it('re-arms the LOC threshold notice when the limit changes with a new license', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 950, threshold: 90 } });
    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1000 });
    await start(world);
    expect(await run(world)).to.have.length(1);

    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1050 });
    expect(await run(world)).to.deep.equal(['Acme Code Scanner: 90.5% of the licensed lines of code are used']);
    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 5000 });
    expect(await run(world)).to.deep.equal([]);
  });

  it('sends no LOC threshold notice for an unlimited license or a license that is not in force', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 10_000_000, threshold: 90 } });
    world.setLicense({ exp: '2028-01-01T00:00:00Z' });
    await start(world);
    expect(await run(world)).to.deep.equal([]);

    world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1000, state: 'wrong_server' });
    expect(await run(world)).to.deep.equal([]);
  });
});
