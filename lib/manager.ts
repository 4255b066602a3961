/**
 * createLicenseManager: the composition root. It opens the database, settles the server ID,
 * builds the runtime (lib/runtime/) and gives it to the job service and the router. Every
 * method of the manager is one line into those pieces.
 */
import type { Knex } from 'knex';
import type { Request, RequestHandler, Router } from 'express';
import { LicenseError } from './errors.js';
import { TrustedKeys } from './keys/jwk.js';
import { openDb, tlsRefusal } from './store/connect.js';
import { dialectOf } from './store/dialects/index.js';
import { withDeadline } from './store/deadline.js';
import { migrateLatest, migrationState, samePatchLine, schemaNewerError } from './store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { connectionIdentity } from './server-id/identity.js';
import { ensureServerId } from './server-id/store.js';
import { settleBridge } from './server-id/bridge-store.js';
import { stateOf } from './license/key-ring.js';
import { configSources } from './license/config-source.js';
import { ConfigKeys } from './runtime/config-keys.js';
import type { LicenseStatus, ServerIdEvent, StoredKey } from './license/types.js';
import type { Analysis } from './usage/loc.js';
import { projectChunks, type ProjectKey, type UsagePage } from './usage/project-usage.js';
import { sharedSecret } from './store/secrets.js';
import type { LimitDecision } from './usage/limits.js';
import { checkOptions, DEFAULT_DB_TIMEOUT_MS, type LicenseManagerOptions } from './manager-options.js';
import { silentLogger, type Logger } from './host.js';
import { createJobService } from './jobs/index.js';
import type { JobRunResult, JobService } from './jobs/port.js';
import { createRouter } from './web/router.js';
import { requireFeature } from './web/require-feature.js';
import { LoadedRing } from './runtime/ring.js';
import { Runtime } from './runtime/runtime.js';
import * as reads from './runtime/reads.js';
import type { LicensePreview } from './runtime/reads.js';
import * as writes from './runtime/writes.js';
import type { ExtendResult } from './runtime/writes.js';
import { moduleVersion } from './version.js';
import { loadInstanceKey } from './instance-key/store.js';
import type { InstanceKey } from './instance-key/derive.js';
import { generateUsageReport, type UsageReport } from './usage-report/generate.js';
import { makeMoveRequest, type MoveRequest } from './move/request.js';
import { installConfiguredRevocations, installRevocations, type RevocationDeps } from './revocations/service.js';
import type { Registry } from 'prom-client';
import { actorName, listAudit, type AuditEntry } from './audit/index.js';
import { metricsEndpoint, registerLicenseMetrics, type MetricsSource } from './metrics/index.js';
import { readRevocations, revocationsInForce } from './revocations/store.js';
import { redactingLogger } from './redact.js';

export { DEFAULT_THRESHOLD } from './runtime/facts.js';
const MIGRATIONS_TABLE = 'license_migrations';

export interface LicenseManager {
  readonly serverId: string;
  /** migrate, server ID, load keys, first job run, schedule, periodic refresh */
  start(): Promise<void>;
  /** migrate, server ID and keys only: what the CLI needs (no job, no timers) */
  open(): Promise<void>;
  stop(): Promise<void>;
  status(): LicenseStatus;
  hasFeature(name: string): boolean;
  /** Express middleware: 403 FEATURE_NOT_LICENSED naming the feature and the state */
  requireFeature(name: string): RequestHandler;
  setLicense(key: string, options?: { actor?: string }): Promise<LicenseStatus>;
  /** what a key would be and change, judged as setLicense would; stores nothing (SPEC 16) */
  previewLicense(key: string): Promise<LicensePreview>;
  /** make a usable stored key the current license (SPEC 16 "Make current") */
  activateKey(lid: string, options?: { actor?: string }): Promise<LicenseStatus>;
  /** retire a stored key that is not current: kept in history, never chosen (SPEC 16) */
  retireKey(lid: string, options?: { actor?: string }): Promise<LicenseStatus>;
  /**
   * SPEC 22: one use of the self-service extension of the key in force (its `ext` claim), from
   * the start of grace until 3 days after its end; EXTENSION_NOT_AVAILABLE says why not. `use`
   * is the number of the use the caller saw offered (two calls for one use agree on it).
   */
  extend(options?: { actor?: string; use?: number }): Promise<ExtendResult>;
  setLocThreshold(percent: number, options?: { actor?: string }): Promise<LicenseStatus>;
  recordAnalysis(analysis: Analysis): Promise<LicenseStatus>;
  removeProject(project: string): Promise<LicenseStatus>;
  removeBranch(project: string, branch: string): Promise<LicenseStatus>;
  checkAnalysis(analysis: Analysis): Promise<LimitDecision>;
  /** records the host's count of active users and decides it against `limits.users` */
  checkUsers(count: number): Promise<LimitDecision>;
  /** records the host's count of active users (SPEC 16): `status().users`, the daily snapshot */
  reportUsers(count: number): Promise<LicenseStatus>;
  /** re-read keys, settings and usage from the database and evaluate again */
  refresh(): Promise<LicenseStatus>;
  /**
   * re-reads every configuration source (`licenseKey`, `LICENSE_KEY`, `LICENSE_KEY_FILE`), then
   * refreshes (SPEC 22); wire it to SIGHUP. A refused key never replaces a usable one.
   */
  reload(): Promise<LicenseStatus>;
  keyHistory(): Promise<StoredKey[]>;
  /** per-project usage, largest first: one page (default the 50 largest) and the count */
  locUsage(page?: { limit: number; after: ProjectKey | null }): Promise<UsagePage>;
  serverIdEvents(): Promise<ServerIdEvent[]>;
  database(): Promise<{ kind: string; version: string }>;
  runJob(): Promise<JobRunResult>;
  /** the latest audit entries, newest first (SPEC 17.3; at most 500) */
  auditLog(options?: { limit?: number }): Promise<AuditEntry[]>;
  /** adds the license metrics of SPEC 17.1 to a host's own prom-client registry */
  registerMetrics(registry: Registry): void;
  router(): Router;
  /** the thumbprint of this instance's own key, which signs its usage reports (SPEC 18.1) */
  readonly instanceKeyId: string;
  /** the next usage report (SPEC 18.1), signed by the instance key; months YYYY-MM */
  usageReport(period?: { from?: string; to?: string }): Promise<UsageReport>;
  /**
   * SPEC 22: after the server ID changed, a move request for the vendor, signed by the instance key
   * of the old server ID; `reason` defaults to the recorded reason of the move. Audited.
   */
  moveRequest(options?: { reason?: string; actor?: string }): Promise<MoveRequest>;
  /** installs a signed revocation list from the vendor (SPEC 18.2) */
  setRevocations(list: string, options?: { actor?: string }): Promise<LicenseStatus>;
  /** the job service (notifications, runs, health); available after open() */
  readonly jobs: JobService;
  readonly knex: Knex;
}

/**
 * Builds the license manager of a host product. Nothing runs until `start()`.
 * @example
 * const lm = createLicenseManager({
 *   db: knex, publicKeys: [vendorJwk], productName: 'Scanner', baseUrl: 'https://scanner.example/admin/license',
 *   authorize: (req) => req.user?.isAdmin === true, getGlobalAdmins: async () => admins,
 * });
 * await lm.start();
 * app.use('/admin/license', lm.router());
 */
export function createLicenseManager(options: LicenseManagerOptions): LicenseManager {
  checkOptions(options);
  return new Manager(options);
}

/** What open() builds. */
interface Parts {
  knex: Knex;
  runtime: Runtime;
  jobs: JobService;
  instanceKey: InstanceKey;
  revocations: RevocationDeps;
  /** set when the database is newer than this code (SPEC 24): writes refused, no job */
  readOnly: (() => LicenseError) | undefined;
  configKeys: ConfigKeys;
}

class Manager implements LicenseManager {
  private readonly clock: () => Date;
  private readonly monotonic: () => number;
  private readonly logger: Logger;
  private readonly trusted: TrustedKeys;
  private parts: Parts | undefined;
  /** the database we opened ourselves (closed on stop), kept apart so a failed open still closes it */
  private ownKnex: Knex | undefined;
  private opened: Promise<void> | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;
  /** the CSRF secret all nodes share (SPEC 15.4), read once by start() */
  private csrfSecret: Buffer | undefined;

  constructor(private readonly o: LicenseManagerOptions) {
    this.clock = o.now ?? (() => new Date());
    // NOTE: a host (or test) that injects `now` alone drives time itself: its clock is trusted as is.
    this.monotonic = o.monotonic ?? (o.now ? () => this.clock().getTime() : () => performance.now());
    // NOTE: every log line of the module passes redaction (SPEC 15.6): no key, address or bound value
    this.logger = redactingLogger(o.logger ?? silentLogger);
    this.trusted = new TrustedKeys(o.publicKeys);
  }

  private get rt(): Runtime {
    if (!this.parts) throw new TypeError('The license manager is available after start().');
    return this.parts.runtime;
  }

  get serverId(): string {
    if (!this.parts) throw new TypeError('The server ID is known after start().');
    return this.parts.runtime.serverId;
  }

  get knex(): Knex {
    if (!this.parts) throw new TypeError('The database is opened by start().');
    return this.parts.knex;
  }

  get jobs(): JobService {
    if (!this.parts) throw new TypeError('The job service exists after start().');
    return this.parts.jobs;
  }

  open(): Promise<void> {
    if (this.stopped) return Promise.reject(new TypeError('This license manager was stopped; create a new one to open again.'));
    this.opened ??= this.doOpen().catch((err: unknown) => {
      throw tlsRefusal(err) ?? (this.ownKnex && dialectOf(this.ownKnex).isUnavailable(err) ? new LicenseError('DATABASE_UNAVAILABLE', { cause: err }) : err);
    });
    return this.opened;
  }

  private async doOpen(): Promise<void> {
    const { knex: opened, owned } = openDb(this.o.db, this.logger);
    if (owned) this.ownKnex = opened;
    const readOnly = await this.settleSchema(opened);
    // every call from here on has the deadline (SPEC 21): migrations alone may take longer
    const knex = withDeadline(opened, this.o.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS);
    const identity = connectionIdentity(knex);
    const dialect = dialectOf(knex);
    const now = this.clock();
    const { serverId } = await ensureServerId(knex, dialect, identity, now);
    let runtime: Runtime | undefined;
    const configKeys = new ConfigKeys({
      trusted: this.trusted,
      sources: () => configSources(this.o.licenseKey, this.o.env ?? process.env),
      // judged as the snapshot judges keys: with the bridges and the revocation list in force
      judge: (key) => ({ serverId, state: stateOf(key, serverId, runtime?.time() ?? this.clock(), runtime?.facts?.bridges, runtime?.facts?.revoked).state }),
      now: () => runtime?.time() ?? this.clock(),
      changed: () => void runtime?.refresh().catch((err) => this.logger.error('License refresh failed', { error: String(err) })),
      logger: this.logger,
    });
    await configKeys.load({ atStart: true });
    const instanceKey = await loadInstanceKey(knex, serverId);
    const revocations = { knex, trusted: this.trusted };
    if (this.o.revocations) await installConfiguredRevocations(revocations, this.o.revocations, now);
    const ring = new LoadedRing(this.trusted, () => configKeys.list());
    runtime = new Runtime({
      knex,
      dialect,
      serverId,
      trusted: this.trusted,
      ring,
      now: this.clock,
      monotonic: this.monotonic,
      logger: this.logger,
      readOnly,
      trustWall: this.o.now !== undefined && this.o.monotonic === undefined,
      dbTimeoutMs: this.o.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS,
      configRefusals: () => configKeys.refusals(),
    });
    // the ring refresh() uses next: each stored key is verified once
    await ring.loadNew(knex);
    await settleBridge(knex, serverId, ring.all(), now, this.logger);
    const jobs = createJobService({
      knex,
      now: () => runtime.time(),
      logger: this.logger,
      productName: this.o.productName,
      pageUrl: this.o.baseUrl,
      serverId: () => serverId,
      refresh: async () => {
        await runtime.refresh();
      },
      status: () => runtime.status(),
      currentKey: () => runtime.currentKey(),
      getGlobalAdmins: this.o.getGlobalAdmins ?? (async () => []),
      mail: this.o.mail,
      schedule: this.o.schedule,
      webhooks: this.o.webhooks,
    });
    this.parts = { knex, runtime, jobs, instanceKey, revocations, readOnly, configKeys };
    await runtime.refresh();
  }

  /**
   * SPEC 24: migrate (unless the host migrates itself), then judge the schema. A database that
   * a newer version migrated (migrations this code does not know) is never migrated down: this
   * node serves read-only with SCHEMA_NEWER, unless that version is a later patch of ours (its
   * migrations only add, so writing stays safe). A host with `migrate: false` whose database
   * lacks migrations is told which command to run, instead of failing later on a missing column.
   */
  private async settleSchema(knex: Knex): Promise<(() => LicenseError) | undefined> {
    const set = { tableName: MIGRATIONS_TABLE, migrations: instanceMigrations };
    const state =
      this.o.migrate === false
        ? await migrationState(knex, set)
        : await migrateLatest(knex, {
            ...set,
            moduleVersion,
            now: this.clock,
            onWait: () => this.logger.info('Another node is migrating the database: waiting for it to finish', {}),
          });
    if (state.unknown.length > 0) {
      if (samePatchLine(moduleVersion, state.migratedBy)) return undefined;
      const refusal = () => schemaNewerError({ moduleVersion, state });
      this.logger.warn('The database schema is newer than this node: serving read-only', {
        moduleVersion,
        databaseVersion: state.migratedBy,
        unknown: state.unknown,
      });
      return refusal;
    }
    if (state.pending.length > 0) {
      throw new TypeError(
        `The database lacks ${state.pending.length} migration(s) of license-manager ${moduleVersion} (${state.pending.join(', ')}) and option "migrate" is false: ` +
          'run `license-manager migrate --db URL` before starting this version.',
      );
    }
    return undefined;
  }

  /** Idempotent: a second call waits for the first. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    if (this.stopped) throw new TypeError('This license manager was stopped; create a new one to start again.');
    if (typeof this.o.authorize !== 'function') {
      throw new TypeError(
        'Option "authorize" is required: (req) => boolean, true only for global administrators. Without it the License Manager does not start.',
      );
    }
    if (typeof this.o.getGlobalAdmins !== 'function') {
      throw new TypeError('Option "getGlobalAdmins" is required: () => Promise<{ name?, email? }[]>, the recipients of reminders.');
    }
    await this.open();
    this.csrfSecret = await sharedSecret(this.knex, 'csrf');
    // a node older than its database leaves the job to the upgraded nodes (it would write rows of a schema it does not know)
    if (!this.parts!.readOnly) {
      await this.jobs.runJob();
      this.jobs.schedule();
    }
    this.rt.startRefreshing((this.o.refreshSeconds ?? 10) * 1000);
    // every node watches the license file itself (SPEC 22); the poll is for file systems without events
    this.parts!.configKeys.watch((this.o.refreshSeconds ?? 10) * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.started?.catch(() => undefined);
    await this.opened?.catch(() => undefined);
    const parts = this.parts;
    if (parts) {
      await parts.configKeys.stop();
      await parts.runtime.stop();
      await parts.jobs.stop();
      // a job run that ended meanwhile may have queued one more refresh
      await parts.runtime.stop();
    }
    await this.ownKnex?.destroy();
  }

  refresh = (): Promise<LicenseStatus> => this.rt.refresh();
  reload = async (): Promise<LicenseStatus> => {
    const rt = this.rt;
    await this.parts!.configKeys.load();
    return rt.refresh();
  };
  status = (): LicenseStatus => this.rt.status();
  hasFeature = (name: string): boolean => this.parts?.runtime.hasFeature(name) ?? false;
  requireFeature = (name: string): RequestHandler => requireFeature(() => this.parts?.runtime.snapshot, name, this.o.baseUrl);
  setLicense = async (key: string, options: { actor?: string } = {}) => writes.setLicense(this.rt, key, options);
  previewLicense = async (key: string) => reads.previewLicense(this.rt, key);
  activateKey = async (lid: string, options: { actor?: string } = {}) => writes.activateKey(this.rt, lid, options);
  retireKey = async (lid: string, options: { actor?: string } = {}) => writes.retireKey(this.rt, lid, options);
  extend = async (options: { actor?: string; use?: number } = {}): Promise<ExtendResult> => {
    const result = await writes.extendLicense(this.rt, options);
    // the administrators' mail and the webhooks hear of it now, not at the next daily run
    if (this.started && !result.agreed) void this.jobs.runJob();
    return result;
  };
  setLocThreshold = async (percent: number, options: { actor?: string } = {}) => writes.setLocThreshold(this.rt, percent, options);
  recordAnalysis = async (analysis: Analysis) => writes.recordAnalysis(this.rt, analysis);
  removeProject = async (project: string) => writes.removeProject(this.rt, project);
  removeBranch = async (project: string, branch: string) => writes.removeBranch(this.rt, project, branch);
  checkAnalysis = async (analysis: Analysis) => reads.checkAnalysis(this.rt, analysis);
  checkUsers = async (count: number) => writes.checkUsers(this.rt, count);
  reportUsers = async (count: number) => writes.reportUsers(this.rt, count);
  keyHistory = async () => reads.keyHistory(this.rt);
  locUsage = async (page?: { limit: number; after: ProjectKey | null }) => reads.locUsage(this.rt, page);
  serverIdEvents = async () => reads.serverIdEvents(this.rt);
  database = async () => reads.database(this.rt);
  runJob = async (): Promise<JobRunResult> => {
    if (this.parts?.readOnly) {
      const at = this.rt.time().toISOString();
      return {
        id: null,
        startedAt: at,
        finishedAt: at,
        durationMs: 0,
        ran: false,
        sent: 0,
        failed: 0,
        pending: 0,
        outcome: 'skipped',
        error: this.parts.readOnly().message,
      };
    }
    return this.jobs.runJob();
  };
  auditLog = async (options: { limit?: number } = {}) => listAudit(this.knex, options);
  /** read at scrape time from what the runtime holds: no query */
  private readonly metricsSource: MetricsSource = {
    status: () => this.parts?.runtime.snapshot?.status,
    operations: () => this.parts?.runtime.facts?.operations,
  };
  registerMetrics = (registry: Registry): void => registerLicenseMetrics(registry, this.metricsSource);

  get instanceKeyId(): string {
    if (!this.parts) throw new TypeError('The instance key is known after start().');
    return this.parts.instanceKey.kid;
  }

  usageReport = async (period: { from?: string; to?: string } = {}): Promise<UsageReport> => {
    const rt = this.rt;
    if (this.parts!.readOnly) throw this.parts!.readOnly(); // a report takes the next number of the chain: a write
    return generateUsageReport(
      { knex: rt.knex, dialect: rt.dialect, serverId: rt.serverId, instanceKey: this.parts!.instanceKey, license: rt.status().license, now: rt.time() },
      period,
    );
  };

  moveRequest = async (options: { reason?: string; actor?: string } = {}): Promise<MoveRequest> => {
    const rt = this.rt;
    if (this.parts!.readOnly) throw this.parts!.readOnly(); // it writes an audit entry
    const deps = { knex: rt.knex, serverId: rt.serverId, instanceKey: this.parts!.instanceKey, license: rt.status().license, now: rt.time() };
    return rt.query(() => makeMoveRequest(deps, { reason: options.reason, actor: actorName(options.actor ?? 'administrator') }));
  };

  setRevocations = async (list: string, options: { actor?: string } = {}): Promise<LicenseStatus> =>
    this.rt.write(({ now }) => installRevocations(this.parts!.revocations, list, options.actor ?? 'administrator', now));

  router(): Router {
    if (typeof this.o.authorize !== 'function') throw new TypeError('Option "authorize" is required before mounting the router.');
    return createRouter({
      productName: this.o.productName,
      productVersion: this.o.productVersion ?? 'unknown',
      moduleVersion,
      supportEmail: this.o.supportEmail,
      authorize: this.o.authorize,
      // the actor is a name, never an address (SPEC 17.3): a host's actorOf may hand back an email
      actorOf: (req: Request) => actorName(this.o.actorOf ? this.o.actorOf(req) : 'administrator'),
      status: () => this.status(),
      setLicense: (key, opts) => this.setLicense(key, opts),
      previewLicense: (key) => this.previewLicense(key),
      activateKey: (lid, opts) => this.activateKey(lid, opts),
      retireKey: (lid, opts) => this.retireKey(lid, opts),
      extend: (opts) => this.extend(opts),
      keyText: async (lid) => reads.keyText(this.rt, lid),
      setLocThreshold: (percent, opts) => this.setLocThreshold(percent, opts),
      keyHistory: () => this.keyHistory(),
      locUsage: (page) => this.locUsage(page),
      locUsageChunks: () => this.rt.stream(projectChunks(this.knex, this.status().loc.limit)),
      csrfSecret: async () => this.csrfSecret ?? sharedSecret(this.knex, 'csrf'),
      serverIdEvents: () => this.serverIdEvents(),
      database: () => this.database(),
      // reads beyond the snapshot answer DATABASE_UNAVAILABLE (503) when the database is cut, not 500
      audit: (limit) => this.rt.query(() => this.auditLog({ limit })),
      metrics: metricsEndpoint(this.metricsSource),
      jobs: {
        notifications: (limit, before) => this.rt.query(() => this.jobs.notifications(limit, before)),
        jobRuns: (limit) => this.rt.query(() => this.jobs.jobRuns(limit)),
        health: () => this.rt.query(() => this.jobs.health()),
        locHistory: (days) => this.rt.query(() => this.jobs.locHistory(days)),
        sendTestEmail: (actor) =>
          this.rt.query(() => {
            if (this.parts?.readOnly) throw this.parts.readOnly();
            return this.jobs.sendTestEmail(actor);
          }),
      },
      offline: {
        instanceKeyId: () => this.instanceKeyId,
        usageReport: (period) => this.rt.query(() => this.usageReport(period)),
        moveRequest: (opts) => this.moveRequest(opts),
        setRevocations: (list, opts) => this.setRevocations(list, opts),
        revocations: async () => revocationsInForce(await this.rt.query(readRevocations)),
      },
      logger: this.logger,
      now: this.clock,
    });
  }
}
