/**
 * The daily schedule (node-cron). A tick runs the job, catches and logs its own errors, and
 * `stop()` waits for a run in progress, so a host that stops never leaves a half-sent run behind.
 */
import cron from 'node-cron';
import type { Logger } from '../host.js';

/** `M H * * *` in UTC: every day at the minute and hour of `now`, so runs fall 24 hours apart. */
export function defaultSchedule(now: Date): string {
  return `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`;
}

/** Misuse is a TypeError naming the option. */
export function assertSchedule(expression: unknown): asserts expression is string {
  if (typeof expression !== 'string' || !cron.validate(expression)) {
    throw new TypeError(`schedule must be a node-cron expression such as "30 2 * * *" (got ${JSON.stringify(expression)}).`);
  }
}

export interface ScheduleHandle {
  readonly expression: string;
  stop(): Promise<void>;
}

/**
 * What fires the ticks of a cron expression: node-cron by default. The clock is an argument
 * here too, so a test fires ticks itself instead of sleeping on a real cron.
 */
export type Ticker = (expression: string, tick: () => Promise<void>, logger: Logger) => { stop(): Promise<void> };

export const cronTicker: Ticker = (expression, tick, logger) => {
  const task = cron.schedule(expression, tick, {
    name: 'license-manager-job',
    timezone: 'UTC',
    noOverlap: true,
    logger: {
      info: () => undefined,
      debug: () => undefined,
      warn: (message) => logger.warn(`node-cron: ${message}`),
      error: (message) => logger.error(`node-cron: ${message instanceof Error ? message.message : message}`),
    },
  });
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
};

export function startSchedule(options: { expression: string; run: () => Promise<unknown>; logger: Logger; ticker?: Ticker }): ScheduleHandle {
  const { expression, run, logger, ticker = cronTicker } = options;
  assertSchedule(expression);
  let current: Promise<void> | null = null;
  const tick = async (): Promise<void> => {
    if (current) return; // a run still going: this tick is covered by it
    current = (async () => {
      try {
        await run();
      } catch (err) {
        logger.error('scheduled license job failed', { error: err instanceof Error ? err.message : String(err) });
      }
    })();
    try {
      await current;
    } finally {
      current = null;
    }
  };
  const task = ticker(expression, tick, logger);
  return {
    expression,
    async stop() {
      await task.stop();
      if (current) await current;
    },
  };
}
