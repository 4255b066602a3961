/**
 * The background job and its notifications, wired from the manager's deps (SPEC 7).
 */
import { randomBytes } from 'node:crypto';
import { LicenseError } from '../errors.js';
import { appendAudit, readAuditHead } from '../audit/index.js';
import type { DispatchContext } from '../notify/dispatch.js';
import { sendNow } from '../notify/dispatch.js';
import { createMailer } from '../notify/mailer.js';
import { createOutbox } from '../notify/outbox.js';
import { recipientsOf } from '../notify/recipients.js';
import { createRenderer } from '../notify/render.js';
import { webhookTargets, type WebhookDispatchContext } from '../notify/webhooks/index.js';
import { createLease } from './lease.js';
import type { JobDeps, JobService } from './port.js';
import { runJobOnce, type RunContext } from './run-job.js';
import { assertSchedule, defaultSchedule, startSchedule, type ScheduleHandle } from './schedule.js';
import { createJobStore, utcDay } from './store.js';
import { DAY_MS } from '../time.js';

export type { JobDeps, JobService, JobRunResult, JobHealth, NotificationRow } from './port.js';

/** how long a run may hold the lease (and a notification its claim) before another node takes over */
const LEASE_TTL_MS = 30 * 60_000;

/** Misuse is a TypeError naming the argument. */
function positive(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${name} must be a positive whole number.`);
  return n;
}

function checkDeps(deps: JobDeps): void {
  const fns = ['now', 'refresh', 'status', 'currentKey', 'getGlobalAdmins', 'serverId'] as const;
  for (const name of fns) {
    if (typeof deps[name] !== 'function') throw new TypeError(`JobDeps.${name} must be a function.`);
  }
  if (typeof deps.knex !== 'function') throw new TypeError('JobDeps.knex must be a knex instance.');
  if (deps.schedule !== undefined) assertSchedule(deps.schedule);
  if (typeof deps.pageUrl !== 'string' || deps.pageUrl === '') throw new TypeError('JobDeps.pageUrl must be the absolute URL of the License Manager page.');
}

/**
 * The job service the manager calls: `runJob()` at start and on the schedule, and what the page
 * shows (notifications, job runs, health, LOC history, test email).
 * @example
 * const jobs = createJobService({ knex, kind, now, logger, productName, pageUrl, serverId, refresh,
 *   status, currentKey, getGlobalAdmins, mail: { transport: 'smtp://mail:25', from: 'lm@example.com' } });
 * await jobs.runJob();
 * jobs.schedule();
 * await jobs.stop();
 */
export function createJobService(deps: JobDeps): JobService {
  checkDeps(deps);
  const node = `node-${randomBytes(8).toString('hex')}`;
  const mailer = createMailer(deps.mail);
  const outbox = createOutbox(deps.knex);
  const store = createJobStore(deps.knex);
  const lease = createLease(deps.knex, { name: 'daily', holder: node, ttlMs: LEASE_TTL_MS });
  const dispatch: DispatchContext = {
    outbox,
    mailer,
    renderer: createRenderer(),
    logger: deps.logger,
    now: deps.now,
    get email() {
      return { productName: deps.productName, serverId: deps.serverId(), pageUrl: deps.pageUrl };
    },
    claimTimeoutMs: LEASE_TTL_MS,
    keepAlive: () => lease.renew(deps.now()),
  };
  const targets = webhookTargets(deps.webhooks);
  const labels = new Map(targets.map((t) => [t.id, t.label]));
  const webhooks: WebhookDispatchContext = {
    outbox,
    renderer: dispatch.renderer,
    logger: deps.logger,
    now: deps.now,
    claimTimeoutMs: LEASE_TTL_MS,
    keepAlive: dispatch.keepAlive,
    targets,
    auditHead: async () => {
      const { head, problem } = await readAuditHead(deps.knex);
      return problem ? { ...head, broken: true } : head;
    },
    get email() {
      return dispatch.email;
    },
  };
  const ctx: RunContext = { deps, lease, outbox, store, dispatch, webhooks };

  // NOTE: one run at a time per node: a manual runJob() during a scheduled run joins it.
  let inFlight: ReturnType<JobService['runJob']> | null = null;
  let scheduled: ScheduleHandle | null = null;

  const runJob: JobService['runJob'] = () => {
    inFlight ??= runJobOnce(ctx).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return {
    runJob,

    schedule() {
      if (scheduled) return;
      const expression = deps.schedule ?? defaultSchedule(deps.now());
      scheduled = startSchedule({ expression, run: runJob, logger: deps.logger, ticker: deps.ticker });
      deps.logger.info('license job scheduled', { expression, timezone: 'UTC' });
    },

    async stop() {
      const handle = scheduled;
      scheduled = null;
      await handle?.stop();
      if (inFlight) await inFlight.catch(() => undefined);
      mailer.close();
    },

    notifications: async (limit = 50, before = null) =>
      (await outbox.list(positive('notifications(limit)', limit), before)).map((n) =>
        n.target === null ? n : { ...n, target: labels.get(n.target) ?? 'webhook (no longer configured)' },
      ),

    jobRuns: async (limit = 20) => store.runs(positive('jobRuns(limit)', limit)),

    async health() {
      const { withoutEmail } = recipientsOf(await deps.getGlobalAdmins());
      const [lastRan] = await store.runs(1, { ranOnly: true });
      const [last] = lastRan ? [lastRan] : await store.runs(1);
      return { mailConfigured: mailer.configured, adminsWithoutEmail: withoutEmail, lastRun: last ?? null };
    },

    async locHistory(days = 90) {
      positive('locHistory(days)', days);
      const since = utcDay(new Date(deps.now().getTime() - (days - 1) * DAY_MS));
      return store.locHistory(since);
    },

    async usersHistory(days = 90) {
      positive('usersHistory(days)', days);
      return store.usersHistory(utcDay(new Date(deps.now().getTime() - (days - 1) * DAY_MS)));
    },

    async sendTestEmail(actor) {
      if (!mailer.configured) {
        throw new LicenseError('VALIDATION_FAILED', {
          detail: 'Mail is not configured: the product was started without mail settings, so no email can be sent.',
        });
      }
      const { emails } = recipientsOf(await deps.getGlobalAdmins());
      if (emails.length === 0) {
        throw new LicenseError('VALIDATION_FAILED', { detail: 'No global administrator has an email address, so there is nobody to send a test email to.' });
      }
      const now = deps.now();
      const status = deps.status();
      const lid = status.license?.lid ?? null;
      const { error } = await sendNow(
        dispatch,
        {
          dedupKey: `test:${now.getTime()}:${randomBytes(6).toString('hex')}`,
          kind: 'test',
          lid,
          facts: {
            serverId: deps.serverId(),
            lid,
            licensee: status.license?.licensee ?? null,
            edition: status.license?.edition ?? null,
            expiresAt: status.details.expiresAt,
            daysLeft: status.details.daysLeft,
            graceEndsAt: status.details.graceEndsAt,
            loc: { used: status.loc.used, limit: status.loc.limit, threshold: status.loc.threshold, percent: status.loc.percent },
            at: now.toISOString(),
            actor,
          },
        },
        emails,
      );
      await appendAudit(deps.knex, {
        at: now,
        actor,
        action: 'test_email',
        detail: error ? { recipients: emails.length, code: 'MAIL_FAILED' } : { recipients: emails.length },
      });
      if (error) {
        throw new LicenseError('MAIL_FAILED', { detail: `The test email could not be sent (${error.code}): ${error.message}`, data: { reason: error.code } });
      }
      return { recipients: emails.length };
    },
  };
}
