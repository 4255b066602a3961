import { expect } from 'chai';
import { createJobService } from '../../../lib/jobs/index.js';
import { defaultSchedule, startSchedule } from '../../../lib/jobs/schedule.js';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, type JobHarness, type LogLine, type World } from '../../helpers/job-deps.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** resolves once `check()` holds; the test's own timeout is the failure */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

withDbs(
  'the daily schedule',
  (dbs) => {
    let h: JobHarness | null = null;
    afterEach(async () => {
      await h?.close();
      h = null;
    });

    it('defaults to every day at the minute and hour (UTC) of the time the job was scheduled', async () => {
      expect(defaultSchedule(new Date('2026-11-23T17:05:42Z'))).to.equal('5 17 * * *');
      expect(defaultSchedule(new Date('2026-11-23T00:59:59Z'))).to.equal('59 0 * * *');
      const world = createWorld({ now: '2026-11-23T06:45:10Z' });
      h = await jobHarness(await dbs.fresh(), world);
      h.jobs.schedule();
      expect(world.logs.find((l) => l.message === 'license job scheduled')?.data).to.deep.equal({ expression: '45 6 * * *', timezone: 'UTC' });
    });

    it('refuses a schedule that is not a cron expression with a TypeError naming the option', async () => {
      const world = createWorld({ now: '2026-11-23T06:45:10Z' });
      h = await jobHarness(await dbs.fresh(), world);
      expect(() => createJobService({ ...h!.deps, schedule: 'every day' })).to.throw(TypeError, /^schedule must be a node-cron expression/);
    });

    it('runs the job on a short schedule, and stops running it on stop()', async function () {
      this.timeout(20_000);
      const world = createWorld({ now: '2027-01-01T00:00:00Z' });
      h = await jobHarness(await dbs.fresh(), world, { schedule: '* * * * * *' });
      h.jobs.schedule();
      await until(() => world.refreshes >= 2);
      await h.jobs.stop();

      const runs = (await h.jobs.jobRuns()).length;
      const refreshes = world.refreshes;
      expect(runs).to.be.at.least(2);
      await sleep(2500); // two more ticks would have fired
      expect((await h.jobs.jobRuns()).length).to.equal(runs);
      expect(world.refreshes).to.equal(refreshes);
    });

    it('stop() waits for the run in progress to finish, and the run is recorded', async function () {
      this.timeout(20_000);
      const world: World = createWorld({ now: '2027-01-01T00:00:00Z' });
      let release!: () => void;
      world.gate = new Promise<void>((resolve) => (release = resolve));
      h = await jobHarness(await dbs.fresh(), world, { schedule: '* * * * * *' });
      h.jobs.schedule();
      await until(() => world.refreshes >= 1); // the run is now held inside refresh()

      let stopped = false;
      const stopping = h.jobs.stop().then(() => (stopped = true));
      await sleep(200);
      expect(stopped).to.equal(false);
      release();
      await stopping;
      expect((await h.jobs.jobRuns()).map((r) => [r.ran, r.outcome])).to.deep.equal([[true, 'ok']]);
    });

    it('a tick catches and logs the error of its run, and the schedule goes on', async function () {
      this.timeout(20_000);
      const logs: LogLine[] = [];
      let calls = 0;
      const handle = startSchedule({
        expression: '* * * * * *',
        run: async () => {
          calls++;
          throw new Error('database went away');
        },
        logger: {
          info: () => undefined,
          warn: () => undefined,
          error: (message, data) => logs.push({ level: 'error', message, ...(data ? { data } : {}) }),
        },
      });
      try {
        await until(() => calls >= 2);
      } finally {
        await handle.stop();
      }
      expect(logs[0]).to.deep.equal({ level: 'error', message: 'scheduled license job failed', data: { error: 'database went away' } });
    });

    it('a run whose refresh fails is stored as failed with its error, and logged', async () => {
      const world = createWorld({ now: '2027-01-01T00:00:00Z' });
      h = await jobHarness(await dbs.fresh(), world);
      const jobs = createJobService({ ...h.deps, refresh: async () => Promise.reject(new Error('key ring unreadable')) });
      const run = await jobs.runJob();
      expect(run).to.include({ ran: true, outcome: 'failed', error: 'key ring unreadable' });
      expect(await jobs.jobRuns()).to.deep.equal([run]);
      expect(world.logs.find((l) => l.level === 'error')).to.deep.equal({ level: 'error', message: 'license job run failed', data: { error: 'key ring unreadable' } });
      await jobs.stop();
    });
  },
  ['sqlite'],
);
