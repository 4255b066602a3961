import type { Knex } from 'knex';
import type { Request, RequestHandler, Router } from 'express';
import { LicenseError } from './errors.js';
import { TrustedKeys } from './keys/jwk.js';
import { verifyWith } from './keys/verify.js';
import { openDb, dbKind } from './store/connect.js';
import { dialectOf, type Dialect } from './store/dialects/index.js';
import { migrateLatest } from './store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { raiseSetting, readSetting, readSettings, writeSetting } from './store/settings.js';
import { listEvents } from './store/events.js';
import { connectionIdentity } from './server-id/identity.js';
import { ensureServerId, type ServerIdChange } from './server-id/store.js';
import { checkAcceptable, configKey, loadStoredKeys, selectCurrent, stateOf, storeKey, type Bridge, type RingKey } from './license/key-ring.js';
import { buildSnapshot, type Snapshot } from './license/snapshot.js';
import { effectiveNow } from './license/clock.js';
import { isUsable, boundToServer } from './license/evaluate.js';
import type { LicenseStatus, ProjectUsage, ServerIdEvent, StoredKey } from './license/types.js';
import * as loc from './usage/loc.js';
import { decideLimit, type LimitDecision } from './usage/limits.js';
import { checkOptions, configuredKeys, silentLogger, type LicenseManagerOptions } from './manager-options.js';
import { createJobService } from './jobs/index.js';
import type { JobRunResult, JobService } from './jobs/port.js';
import { createRouter } from './web/router.js';
import type { WebPort } from './web/port.js';
import { moduleVersion } from './version.js';

export const DEFAULT_THRESHOLD = 90;
const BRIDGE_DAYS = 7;
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
  setLocThreshold(percent: number, options?: { actor?: string }): Promise<LicenseStatus>;
  recordAnalysis(analysis: loc.Analysis): Promise<LicenseStatus>;
  removeProject(project: string): Promise<LicenseStatus>;
  removeBranch(project: string, branch: string): Promise<LicenseStatus>;
  checkAnalysis(analysis: loc.Analysis): Promise<LimitDecision>;
  checkUsers(count: number): Promise<LimitDecision>;
  /** re-read keys, settings and usage from the database and evaluate again */
  refresh(): Promise<LicenseStatus>;
  keyHistory(): Promise<StoredKey[]>;
  locUsage(): Promise<ProjectUsage[]>;
  serverIdEvents(): Promise<ServerIdEvent[]>;
  database(): Promise<{ kind: string; version: string }>;
  runJob(): Promise<JobRunResult>;
  router(): Router;
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

class Manager implements LicenseManager {
  private readonly clock: () => Date;
  private readonly logger;
  private readonly trusted: TrustedKeys;
  private knexInstance: Knex | undefined;
  private ownsKnex = false;
  private dialect!: Dialect;
  private id: string | undefined;
  private snapshot!: Snapshot;
  private keys = new Map<number, RingKey>();
  private configKeys: RingKey[] = [];
  private jobService: JobService | undefined;
  private timer: NodeJS.Timeout | undefined;
  private opened: Promise<void> | undefined;
  private refreshing: Promise<LicenseStatus> | undefined;
  private queued: Promise<LicenseStatus> | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;
  private highWater: number | undefined;

  constructor(private readonly o: LicenseManagerOptions) {
    this.clock = o.now ?? (() => new Date());
    this.logger = o.logger ?? silentLogger;
    this.trusted = new TrustedKeys(o.publicKeys);
  }

  get serverId(): string {
    if (!this.id) throw new TypeError('The server ID is known after start().');
    return this.id;
  }

  get knex(): Knex {
    if (!this.knexInstance) throw new TypeError('The database is opened by start().');
    return this.knexInstance;
  }

  get jobs(): JobService {
    if (!this.jobService) throw new TypeError('The job service exists after start().');
    return this.jobService;
  }

  open(): Promise<void> {
    if (this.stopped) return Promise.reject(new TypeError('This license manager was stopped; create a new one to open again.'));
    this.opened ??= this.doOpen();
    return this.opened;
  }

  private async doOpen(): Promise<void> {
    const { knex, owned } = openDb(this.o.db);
    const identity = connectionIdentity(knex);
    this.knexInstance = knex;
    this.ownsKnex = owned;
    this.dialect = dialectOf(knex);
    if (this.o.migrate !== false) await migrateLatest(knex, { tableName: MIGRATIONS_TABLE, migrations: instanceMigrations });
    const now = this.clock();
    const rawConfigKeys = configuredKeys(this.o);
    this.configKeys = await Promise.all(rawConfigKeys.map((k, i) => configKey(k, this.trusted, i, now)));
    for (const k of this.configKeys) {
      if (k.problem) this.logger.warn('The license key from configuration is refused', { code: k.problem.code, message: k.problem.message });
    }
    const { serverId } = await ensureServerId(knex, this.dialect, identity, now);
    this.id = serverId;
    await this.bridgeAfterLatestMove(now);
    this.jobService = createJobService({
      knex, kind: dbKind(knex), now: () => this.time(), logger: this.logger, productName: this.o.productName,
      pageUrl: this.o.baseUrl, serverId: () => this.serverId, refresh: async () => { await this.refresh(); },
      status: () => this.status(), currentKey: () => this.currentKey(),
      getGlobalAdmins: this.o.getGlobalAdmins ?? (async () => []), mail: this.o.mail, schedule: this.o.schedule,
    });
    await this.refresh();
  }

  /** Idempotent: a second call waits for the first. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    if (this.stopped) throw new TypeError('This license manager was stopped; create a new one to start again.');
    if (typeof this.o.authorize !== 'function') {
      throw new TypeError('Option "authorize" is required: (req) => boolean, true only for global administrators. Without it the License Manager does not start.');
    }
    if (typeof this.o.getGlobalAdmins !== 'function') {
      throw new TypeError('Option "getGlobalAdmins" is required: () => Promise<{ name?, email? }[]>, the recipients of reminders.');
    }
    await this.open();
    await this.jobs.runJob();
    this.jobs.schedule();
    const every = (this.o.refreshSeconds ?? 10) * 1000;
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.logger.error('License refresh failed', { error: String(err) }));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.started?.catch(() => undefined);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.jobService?.stop();
    // wait until no refresh is running or queued (a write may have queued one after another)
    while (this.refreshing) {
      const current = this.refreshing;
      await current.catch(() => undefined);
      if (this.refreshing === current) break;
    }
    if (this.ownsKnex) await this.knexInstance?.destroy();
  }

  /**
   * NOTE: the move is read from the latest server_id_changed event rather than from this start's
   * own result, so the bridge is also granted when the new ID was first stored by the CLI's
   * `server-id` or by a node that stopped before granting it. Each event is decided once.
   */
  private async bridgeAfterLatestMove(now: Date): Promise<void> {
    const [latest] = await listEvents<ServerIdChange>(this.knex, 'server_id_changed', 1);
    if (!latest || latest.data.newId !== this.serverId) return;
    const decided = `bridge_decided:${latest.id}`;
    if (await readSetting(this.knex, decided)) return;
    await this.bridgeAfterMove(latest.data, latest.at, now);
    await writeSetting(this.knex, decided, true);
  }

  /** SPEC 4: a production key current before the move stays in force 7 days, once per key. */
  private async bridgeAfterMove(change: ServerIdChange, movedAt: Date, now: Date): Promise<void> {
    await this.loadNewKeys(); // the ring refresh() uses next: each stored key is verified once
    const keys = [...this.configKeys, ...this.keys.values()];
    const bridges = await this.bridges();
    const before = selectCurrent(keys, change.oldId, now, bridges);
    if (!before || before.key.payload?.type !== 'production' || !isUsable(before.state)) return;
    const usableForNew = keys.some((k) => k.payload && boundToServer(k.payload, change.newId) && isUsable(stateOf(k, change.newId, now).state));
    if (usableForNew) return;
    const name = `bridge:${before.key.lid}`;
    if (await readSetting(this.knex, name)) return; // once per key
    const bridge: Bridge = { lid: before.key.lid, from: change.oldId, to: change.newId, until: movedAt.getTime() + BRIDGE_DAYS * 86_400_000 };
    await writeSetting(this.knex, name, bridge);
    this.logger.warn('The server ID changed; the license stays in force for 7 days', { ...change });
  }

  private async bridges(): Promise<Bridge[]> {
    return [...(await readSettings(this.knex, 'bridge:')).values()] as Bridge[];
  }

  /** New rows only: stored keys never change, so each is verified once per process. */
  private async loadNewKeys(): Promise<void> {
    const lastId = Math.max(0, ...this.keys.keys());
    for (const key of await loadStoredKeys(this.knex, this.trusted, lastId)) this.keys.set(key.id, key);
  }

  refresh(): Promise<LicenseStatus> {
    const run = async (): Promise<LicenseStatus> => {
      const knex = this.knex;
      const observed = this.clock();
      const highWater = await readSetting<number>(knex, 'clock_high_water');
      // NOTE: a minute of slack keeps a cluster from writing the mark on every refresh.
      if (highWater === undefined || observed.getTime() > highWater + 60_000) await raiseSetting(knex, 'clock_high_water', observed.getTime());
      this.highWater = Math.max(highWater ?? 0, observed.getTime());
      const { now, warning } = effectiveNow(observed, highWater);
      await this.loadNewKeys();
      const [bridges, used, threshold] = await Promise.all([
        this.bridges(),
        loc.consumption(knex),
        readSetting<number>(knex, 'loc_threshold'),
      ]);
      this.snapshot = buildSnapshot({
        serverId: this.serverId, keys: [...this.configKeys, ...this.keys.values()], bridges, now,
        clockWarning: warning, locUsed: used, threshold: threshold ?? DEFAULT_THRESHOLD,
      });
      return this.snapshot.status;
    };
    // NOTE: a refresh asked for while one runs joins the single next one, so a burst of writes
    // costs two refreshes, not one per write; the next one still starts after the write.
    if (this.queued) return this.queued;
    const after = (this.refreshing ?? Promise.resolve(undefined as unknown as LicenseStatus)).catch(() => undefined);
    const next: Promise<LicenseStatus> = after.then(() => {
      if (this.queued === next) this.queued = undefined;
      return run();
    });
    this.queued = next;
    this.refreshing = next;
    return next;
  }

  status(): LicenseStatus {
    if (!this.snapshot) throw new TypeError('status() is available after start().');
    return this.snapshot.status;
  }

  hasFeature(name: string): boolean {
    return this.snapshot !== undefined && this.snapshot.features.has(name);
  }

  requireFeature(name: string): RequestHandler {
    return (_req, res, next) => {
      if (this.hasFeature(name)) return next();
      const state = this.snapshot?.status.state ?? 'none';
      const err = new LicenseError('FEATURE_NOT_LICENSED', {
        detail: `The feature "${name}" is not available: the license state is ${state}${this.snapshot?.usable ? ' and the license does not include it' : ''}.`,
      });
      res.status(err.status).json({ error: { code: err.code, message: err.message, feature: name, state } });
    };
  }

  private currentKey() {
    const current = this.snapshot?.current;
    if (!current?.key.payload) return null;
    return { lid: current.key.lid, payload: current.key.payload, setAt: current.key.setAt };
  }

  /** The clock, unless it went back more than a day (SPEC 5.4): then the latest time seen. */
  private time(): Date {
    return effectiveNow(this.clock(), this.highWater).now;
  }

  async setLicense(key: string, options: { actor?: string } = {}): Promise<LicenseStatus> {
    const verified = await verifyWith(key, this.trusted);
    // NOTE: with a clock gone back, the latest time seen judges expiry and orders the history.
    const now = this.time();
    checkAcceptable(verified.payload, this.serverId, now);
    await storeKey(this.knex, verified.compact, verified.payload, options.actor ?? 'administrator', now);
    this.logger.info('License key set', { lid: verified.payload.lid, actor: options.actor ?? 'administrator' });
    return this.refresh();
  }

  async setLocThreshold(percent: number, _options: { actor?: string } = {}): Promise<LicenseStatus> {
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
      throw new LicenseError('VALIDATION_FAILED', { detail: 'The threshold must be a whole percentage from 1 to 100.', data: { field: 'percent' } });
    }
    await writeSetting(this.knex, 'loc_threshold', percent);
    return this.refresh();
  }

  async recordAnalysis(analysis: loc.Analysis): Promise<LicenseStatus> {
    await loc.recordAnalysis(this.knex, this.dialect, analysis, this.clock());
    return this.refresh();
  }

  async removeProject(project: string): Promise<LicenseStatus> {
    await loc.removeProject(this.knex, this.dialect, project);
    return this.refresh();
  }

  async removeBranch(project: string, branch: string): Promise<LicenseStatus> {
    await loc.removeBranch(this.knex, this.dialect, project, branch);
    return this.refresh();
  }

  async checkAnalysis(analysis: loc.Analysis): Promise<LimitDecision> {
    const { before, after } = await loc.consumptionAfter(this.knex, analysis);
    return decideLimit('loc', after, this.status(), this.snapshot.usable, before);
  }

  async checkUsers(count: number): Promise<LimitDecision> {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new LicenseError('VALIDATION_FAILED', { detail: 'The user count must be a whole number of 0 or more.', data: { field: 'count' } });
    }
    return decideLimit('users', count, this.status(), this.snapshot.usable);
  }

  async keyHistory(): Promise<StoredKey[]> {
    await this.loadNewKeys();
    const now = new Date(this.snapshot.status.details.evaluatedAt);
    const current = this.snapshot.current?.key;
    const bridges = await this.bridges();
    const all = [...this.configKeys, ...[...this.keys.values()].sort((a, b) => b.id - a.id)];
    return all.map((k) => ({
      id: k.id, lid: k.lid, licensee: k.payload?.licensee ?? '(unreadable key)', type: k.payload?.type ?? 'unknown',
      edition: k.payload?.edition ?? '', serverId: k.payload?.serverId ?? '', exp: k.payload?.exp ?? 0, nbf: k.payload?.nbf ?? 0,
      setBy: k.setBy, setAt: k.setAt.toISOString(), source: k.source,
      state: stateOf(k, this.serverId, now, bridges).state, current: k === current,
    }));
  }

  locUsage(): Promise<ProjectUsage[]> {
    return loc.projectUsage(this.knex, this.status().loc.limit);
  }

  async serverIdEvents(): Promise<ServerIdEvent[]> {
    const events = await listEvents<{ oldId: string; newId: string; reason: string }>(this.knex, 'server_id_changed');
    return events.map((e) => ({ at: e.at.toISOString(), oldId: e.data.oldId, newId: e.data.newId, reason: e.data.reason }));
  }

  async database(): Promise<{ kind: string; version: string }> {
    return { kind: this.dialect.kind, version: await this.dialect.version(this.knex) };
  }

  runJob(): Promise<JobRunResult> {
    return this.jobs.runJob();
  }

  router(): Router {
    if (typeof this.o.authorize !== 'function') throw new TypeError('Option "authorize" is required before mounting the router.');
    const port: WebPort = {
      productName: this.o.productName,
      productVersion: this.o.productVersion ?? 'unknown',
      moduleVersion,
      supportEmail: this.o.supportEmail,
      authorize: this.o.authorize,
      actorOf: this.o.actorOf ?? ((_req: Request) => 'administrator'),
      status: () => this.status(),
      setLicense: (key, opts) => this.setLicense(key, opts),
      setLocThreshold: (percent, opts) => this.setLocThreshold(percent, opts),
      keyHistory: () => this.keyHistory(),
      locUsage: () => this.locUsage(),
      serverIdEvents: () => this.serverIdEvents(),
      database: () => this.database(),
      jobs: this.jobs,
      logger: this.logger,
      now: this.clock,
    };
    return createRouter(port);
  }
}
