/**
 * One run of the background job (SPEC 7): lease → refresh → LOC snapshot → what is due → outbox
 * → mail; its outcome is stored whatever happens, and returned rather than thrown, so the
 * schedule and the page both see it.
 */
import { dueNotifications, overtakenKinds } from '../notify/due.js';
import { dispatchPending, type DispatchContext } from '../notify/dispatch.js';
import type { Outbox } from '../notify/outbox.js';
import { recipientsOf } from '../notify/recipients.js';
import { dispatchWebhooks, type WebhookDispatchContext } from '../notify/webhooks/index.js';
import type { Lease } from './lease.js';
import type { JobDeps, JobRunResult } from './port.js';
import { dayFigures, type JobStore } from './store.js';
import { redactError, storedError } from '../redact.js';

export interface RunContext {
  deps: JobDeps;
  lease: Lease;
  outbox: Outbox;
  store: JobStore;
  dispatch: DispatchContext;
  webhooks: WebhookDispatchContext;
}

function outcomeOf(sent: number, failed: number, error: string | undefined): JobRunResult['outcome'] {
  if (error !== undefined) return 'failed';
  if (failed === 0) return 'ok';
  return sent > 0 ? 'partial' : 'failed';
}

/** Records what is due now in the outbox and moves the LOC arming on. */
async function enqueueDue(ctx: RunContext): Promise<void> {
  const { deps, outbox, store } = ctx;
  const status = deps.status();
  const currentKey = deps.currentKey();
  const lid = currentKey?.lid ?? status.license?.lid ?? null;
  const [history, locArm] = await Promise.all([outbox.history(lid), store.locArm()]);
  const now = deps.now();
  const result = dueNotifications({ status, currentKey, history, locArm, now });
  await outbox.enqueue(
    result.due,
    now,
    ctx.webhooks.targets.map((t) => t.id),
  );
  if (lid !== null) {
    const dropped = (await outbox.supersede(lid)) + (await outbox.dropOvertaken(lid, overtakenKinds({ status, currentKey, now })));
    if (dropped > 0) deps.logger.info('pending notifications no longer true dropped', { count: dropped });
  }
  // NOTE: the arming is stored after the rows: a crash in between re-computes the same keys,
  // which the outbox ignores, instead of skipping a notice.
  if (result.locArm.epoch !== locArm.epoch || result.locArm.armedFor !== locArm.armedFor) await store.setLocArm(result.locArm);
  for (const n of result.due) deps.logger.info('notification due', { kind: n.kind, dedupKey: n.dedupKey });
}

export async function runJobOnce(ctx: RunContext): Promise<JobRunResult> {
  const { deps, lease, outbox, store } = ctx;
  const started = deps.now();
  // NOTE: the duration is a measurement, not a decision, so it uses the monotonic clock: an
  // injected `now` (frozen in tests, moved back by an operator) would make it meaningless.
  const t0 = performance.now();
  let ran = false;
  let sent = 0;
  let failed = 0;
  let error: string | undefined;
  try {
    ran = await lease.acquire(started);
    if (ran) {
      try {
        await deps.refresh();
        await store.snapshotDay(deps.now(), dayFigures(deps.status()));
        await enqueueDue(ctx);
        if (ctx.dispatch.mailer.configured) {
          const { emails } = recipientsOf(await deps.getGlobalAdmins());
          ({ sent, failed } = await dispatchPending(ctx.dispatch, emails));
        }
        const posted = await dispatchWebhooks(ctx.webhooks);
        sent += posted.sent;
        failed += posted.failed;
      } finally {
        await lease.release();
      }
    }
  } catch (err) {
    // NOTE: the run's error is stored and shown on the page: never a driver's raw text
    error = storedError(err);
    deps.logger.error('license job run failed', { error: redactError(err) });
  }
  // NOTE: runJob() never throws (SPEC 15.2): with the database gone, the count and the record of
  // the run fail too; the run is then logged, and the next one tries again.
  const pending = await outbox.countPending().catch(() => 0);
  const finished = deps.now();
  const result: Omit<JobRunResult, 'id'> = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    ran,
    sent,
    failed,
    pending,
    outcome: ran || error !== undefined ? outcomeOf(sent, failed, error) : 'skipped',
    ...(error !== undefined ? { error } : {}),
  };
  let id: number | null = null;
  try {
    id = await store.recordRun(lease.holder, result);
  } catch (err) {
    deps.logger.error('license job run could not be recorded', { outcome: result.outcome, code: String((err as { code?: unknown })?.code ?? 'unknown') });
  }
  if (ran) deps.logger.info('license job run finished', { outcome: result.outcome, sent, failed, pending });
  return { id, ...result };
}
