import { expect } from 'chai';
import { createJobService } from '../../../lib/jobs/index.js';
import { defaultSchedule, startSchedule, type Ticker } from '../../../lib/jobs/schedule.js';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, type JobHarness, type LogLine, type World } from '../../helpers/job-deps.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** resolves once `check()` holds; the test's own timeout is the failure */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

/** Fires the schedule's ticks when the test says so, instead of waiting on a real cron. */
function handTicker() {
  const entries: { expression: string; tick: () => Promise<void>; active: boolean }[] = [];
  const ticker: Ticker = (expression, tick) => {
    const entry = { expression, tick, active: true };
    entries.push(entry);
    return {
      stop: async () => {
        entry.active = false;
      },
    };
  };
  return {
    ticker,
    entries,
    /** one tick of every active schedule, as node-cron would fire it */
    fire: () => Promise.all(entries.filter((e) => e.active).map((e) => e.tick())),
  };
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

    it('runs the job on each tick of its schedule, and stops running it on stop()', async () => {
      const world = createWorld({ now: '2027-01-01T00:00:00Z' });
      const ticks = handTicker();
      h = await jobHarness(await dbs.fresh(), world, { schedule: '* * * * * *', ticker: ticks.ticker });
      h.jobs.schedule();
      expect(ticks.entries.map((e) => e.expression)).to.deep.equal(['* * * * * *']);
      await ticks.fire();
      await ticks.fire();
      await h.jobs.stop();
      expect((await h.jobs.jobRuns()).length).to.equal(2);
      expect(world.refreshes).to.equal(2);
      await ticks.fire(); // a tick after stop() fires nothing
      expect((await h.jobs.jobRuns()).length).to.equal(2);
      expect(world.refreshes).to.equal(2);
    });

    it('schedules on node-cron itself by default, and stops it', async () => {
      let calls = 0;
      const handle = startSchedule({
        expression: '0 3 * * *',
        run: async () => {
          calls++;
        },
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      expect(handle.expression).to.equal('0 3 * * *');
      await handle.stop();
      expect(calls).to.equal(0);
    });

    it('stop() waits for the run in progress to finish, and the run is recorded', async function () {
      this.timeout(20_000);
      const world: World = createWorld({ now: '2027-01-01T00:00:00Z' });
      let release!: () => void;
      world.gate = new Promise<void>((resolve) => (release = resolve));
      const ticks = handTicker();
      h = await jobHarness(await dbs.fresh(), world, { schedule: '* * * * * *', ticker: ticks.ticker });
      h.jobs.schedule();
      const firing = ticks.fire();
      await until(() => world.refreshes >= 1); // the run is now held inside refresh()

      let stopped = false;
      const stopping = h.jobs.stop().then(() => (stopped = true));
      await sleep(50);
      expect(stopped).to.equal(false);
      release();
      await stopping;
      await firing;
      expect((await h.jobs.jobRuns()).map((r) => [r.ran, r.outcome])).to.deep.equal([[true, 'ok']]);
    });

    it('a tick catches and logs the error of its run, and the schedule goes on', async () => {
      const logs: LogLine[] = [];
      let calls = 0;
      const ticks = handTicker();
      const handle = startSchedule({
        expression: '* * * * * *',
        ticker: ticks.ticker,
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
        await ticks.fire();
        await ticks.fire();
      } finally {
        await handle.stop();
      }
      expect(calls).to.equal(2);
      expect(logs[0]).to.deep.equal({ level: 'error', message: 'scheduled license job failed', data: { error: 'database went away' } });
    });

    it('a run whose refresh fails is stored as failed with its error, and logged', async () => {
      const world = createWorld({ now: '2027-01-01T00:00:00Z' });
      h = await jobHarness(await dbs.fresh(), world);
      const jobs = createJobService({ ...h.deps, refresh: async () => Promise.reject(new Error('key ring unreadable')) });
      const run = await jobs.runJob();
      expect(run).to.include({ ran: true, outcome: 'failed', error: 'key ring unreadable' });
      expect(await jobs.jobRuns()).to.deep.equal([run]);
      const logged = world.logs.find((l) => l.level === 'error');
      expect(logged).to.include({ level: 'error', message: 'license job run failed' });
      expect(String(logged?.data?.error)).to.match(/^Error: key ring unreadable\n\s+at /); // with its stack, redacted
      await jobs.stop();
    });
  },
  ['sqlite'],
);
