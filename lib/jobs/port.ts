import type { Knex } from 'knex';
import type { LicensePayload } from '../keys/claims.js';
import type { LicenseStatus } from '../license/types.js';
import type { GlobalAdmin, Logger, MailOptions } from '../host.js';
import type { Ticker } from './schedule.js';
import type { WebhookOption } from '../notify/webhooks/index.js';
import type { NotificationRow } from '../notify/types.js';

export type { NotificationRow };

/** What the job and notifications need from the manager (wired in lib/manager.ts). */
export interface JobDeps {
  knex: Knex;
  now: () => Date;
  logger: Logger;
  productName: string;
  /** absolute URL of the License Manager page, for links in emails */
  pageUrl: string;
  serverId: () => string;
  /** reload the key ring from the database and evaluate: afterwards status() is fresh */
  refresh: () => Promise<void>;
  status: () => LicenseStatus;
  /** the current key with when it was set on this instance, or null */
  currentKey: () => { lid: string; payload: LicensePayload; setAt: Date } | null;
  getGlobalAdmins: () => Promise<GlobalAdmin[]>;
  mail?: MailOptions;
  /** node-cron expression; default: the minute and hour of start-up, every day */
  schedule?: string;
  /** what fires the schedule's ticks; default node-cron (tests fire them themselves) */
  ticker?: Ticker;
  /** where every notification is also posted (SPEC 17.2) */
  webhooks?: readonly WebhookOption[];
}

export interface JobRunResult {
  id: number | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** false when another node holds the lease and this run did nothing */
  ran: boolean;
  sent: number;
  failed: number;
  pending: number;
  outcome: 'ok' | 'partial' | 'failed' | 'skipped';
  error?: string;
}

export interface JobHealth {
  mailConfigured: boolean;
  adminsWithoutEmail: string[];
  lastRun: JobRunResult | null;
}

/** What lib/jobs gives back to the manager. */
export interface JobService {
  runJob(): Promise<JobRunResult>;
  /** schedule the daily run with node-cron */
  schedule(): void;
  stop(): Promise<void>;
  /** the latest first; `before` an id: only older ones (the next page) */
  notifications(limit?: number, before?: number | null): Promise<NotificationRow[]>;
  jobRuns(limit?: number): Promise<JobRunResult[]>;
  health(): Promise<JobHealth>;
  /** daily LOC snapshots for the gauge history, oldest first */
  locHistory(days?: number): Promise<{ day: string; used: number }[]>;
  /** daily users snapshots (SPEC 16), oldest first */
  usersHistory(days?: number): Promise<{ day: string; users: number }[]>;
  sendTestEmail(actor: string): Promise<{ recipients: number }>;
}
