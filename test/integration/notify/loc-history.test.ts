import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, type JobHarness } from '../../helpers/job-deps.js';

withDbs('daily LOC snapshots', (dbs) => {
  let h: JobHarness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('stores one snapshot per UTC day (the last run of the day wins) and gives the history oldest first', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world);
    const runAt = async (at: string, used: number) => {
      world.setNow(at);
      world.loc.used = used;
      await h!.jobs.runJob();
    };
    await runAt('2027-01-01T00:00:00Z', 100);
    await runAt('2027-01-01T23:59:59Z', 150); // still 1 January in UTC, though not in New York
    await runAt('2027-01-02T00:00:00Z', 2_000_000_000_000); // beyond 32 bits
    await runAt('2027-01-04T09:00:00Z', 300); // no run on the 3rd

    expect(await h.jobs.locHistory()).to.deep.equal([
      { day: '2027-01-01', used: 150 },
      { day: '2027-01-02', used: 2_000_000_000_000 },
      { day: '2027-01-04', used: 300 },
    ]);
    expect(await h.jobs.locHistory(3)).to.deep.equal([
      { day: '2027-01-02', used: 2_000_000_000_000 },
      { day: '2027-01-04', used: 300 },
    ]);
    expect(await h.jobs.locHistory(1)).to.deep.equal([{ day: '2027-01-04', used: 300 }]);
  });

  it('keeps 90 days by default', async () => {
    const world = createWorld({ now: '2027-01-01T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world);
    for (let day = 0; day < 100; day++) {
      world.setNow(new Date(Date.UTC(2027, 0, 1 + day, 12)));
      world.loc.used = day;
      await h.jobs.runJob();
    }
    const history = await h.jobs.locHistory();
    expect(history).to.have.length(90);
    expect(history[0]).to.deep.equal({ day: '2027-01-11', used: 10 });
    expect(history[89]).to.deep.equal({ day: '2027-04-10', used: 99 });
  });
});
