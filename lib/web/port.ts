import type { Request } from 'express';
import type { LicenseStatus, ProjectUsage, ServerIdEvent, StoredKey } from '../license/types.js';
import type { JobHealth, JobRunResult, NotificationRow } from '../jobs/port.js';
import type { Logger } from '../host.js';
import type { LicensePreview } from '../runtime/reads.js';
import type { ProjectKey, UsagePage } from '../usage/project-usage.js';
import type { OfflinePort } from './offline.js';
import type { AuditEntry } from '../audit/index.js';
import type { MetricsEndpoint } from '../metrics/index.js';
import type { ExtendResult } from '../runtime/writes.js';

/** What the router needs from the manager (implemented in lib/manager.ts). */
export interface WebPort {
  productName: string;
  productVersion: string;
  moduleVersion: string;
  /** vendor address for "Request a new license"; optional */
  supportEmail?: string;
  authorize: (req: Request) => boolean | Promise<boolean>;
  /** who is acting, for the key history; default "administrator" */
  actorOf: (req: Request) => string;
  status(): LicenseStatus;
  setLicense(key: string, options: { actor: string }): Promise<LicenseStatus>;
  /** SPEC 16: the key judged as setLicense would, and what it changes; stores nothing */
  previewLicense(key: string): Promise<LicensePreview>;
  activateKey(lid: string, options: { actor: string }): Promise<LicenseStatus>;
  retireKey(lid: string, options: { actor: string }): Promise<LicenseStatus>;
  /** SPEC 22: one use of the self-service extension; `use` is the number the administrator confirmed */
  extend(options: { actor: string; use?: number }): Promise<ExtendResult>;
  /** the text of a stored key, for copy and download */
  keyText(lid: string): Promise<string>;
  setLocThreshold(percent: number, options: { actor: string }): Promise<LicenseStatus>;
  keyHistory(): Promise<StoredKey[]>;
  /** a bounded read (SPEC 15.5): `limit` projects after `after`, and the count */
  locUsage(page: { limit: number; after: ProjectKey | null }): Promise<UsagePage>;
  /** every project, largest first, a chunk at a time (the CSV export) */
  locUsageChunks(): AsyncIterable<ProjectUsage[]>;
  /** the CSRF secret all nodes share through the database (SPEC 15.4) */
  csrfSecret(): Promise<Buffer>;
  serverIdEvents(): Promise<ServerIdEvent[]>;
  database(): Promise<{ kind: string; version: string }>;
  /** usage reports and revocation lists (SPEC 18); the manager always gives them */
  offline?: OfflinePort;
  /** the latest audit entries, newest first (SPEC 17.3) */
  audit(limit: number): Promise<AuditEntry[]>;
  /** the Prometheus exposition of SPEC 17.1 */
  metrics: MetricsEndpoint;
  /** where the router logs failures it hides from responses; default: console */
  logger?: Logger;
  /** the clock for the support file's `generatedAt`; default: the system clock */
  now?: () => Date;
  /** the job service (issue 5) */
  jobs: {
    notifications(limit?: number, before?: number | null): Promise<NotificationRow[]>;
    jobRuns(limit?: number): Promise<JobRunResult[]>;
    health(): Promise<JobHealth>;
    locHistory(days?: number): Promise<{ day: string; used: number }[]>;
    sendTestEmail(actor: string): Promise<{ recipients: number }>;
  };
}
