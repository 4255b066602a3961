/**
 * JobDeps for testing the job service on its own, before and beside the manager: a real knex on a
 * `withDbs()` database with the instance migrations run, a clock the test moves, and a license
 * status the test controls (its state follows the clock, as the core's evaluation would: active,
 * expiring 60 days before `exp`, grace for `grace` days after, then expired).
 *
 * Several harnesses may share one `World` (one database seen by several nodes of a cluster).
 * @example
 * const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: [{ name: 'Ada', email: 'ada@example.com' }] });
 * world.setLicense({ exp: '2027-03-31T00:00:00Z' });
 * const h = await jobHarness(db, world, { mail: { transport: smtp.url, from: 'lm@example.com' } });
 * await h.jobs.runJob();
 */
import { randomUUID } from 'node:crypto';
import { keyDates, type KeyDates } from '../../lib/license/dates.js';
import knexFactory, { type Knex } from 'knex';
import { createJobService } from '../../lib/jobs/index.js';
import type { JobDeps, JobService } from '../../lib/jobs/port.js';
import type { GlobalAdmin, MailOptions } from '../../lib/host.js';
import type { LicensePayload } from '../../lib/keys/claims.js';
import type { LicenseState, LicenseStatus } from '../../lib/license/types.js';
import { migrateLatest } from '../../lib/store/migrate.js';
import { instanceMigrations } from '../../migrations/instance/index.js';
import type { DbFactory, TestDb } from './dbs.js';
import { startSmtp, type SmtpTestServer } from './smtp.js';

const DAY_MS = 86_400_000;
export const SERVER_ID = 'ABCDEF12-ABCDEFGHIJKLMNOPQRST';
export const PAGE_URL = 'https://scanner.example.com/admin/license';
export const PRODUCT = 'Acme Code Scanner';

export interface LicenseInput {
  exp: string | Date;
  /** when the key was set on this instance; default a year before exp */
  setAt?: string | Date;
  lid?: string;
  licensee?: string;
  edition?: string;
  grace?: number;
  loc?: number;
  /** force a state instead of deriving it from the clock */
  state?: LicenseState;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  data?: Record<string, unknown>;
}

/** What the test controls; shared by every node of a simulated cluster. */
export interface World {
  now(): Date;
  setNow(at: string | Date): void;
  admins: GlobalAdmin[];
  /** the LOC consumption and threshold the core would report */
  loc: { used: number; threshold: number };
  setLicense(input: LicenseInput | null): { lid: string } | null;
  status(): LicenseStatus;
  currentKey(): { lid: string; payload: LicensePayload; setAt: Date } | null;
  refreshes: number;
  /** awaited by every refresh(): lets a test hold a run in the middle */
  gate: Promise<void> | null;
  logs: LogLine[];
}

const toDate = (d: string | Date): Date => (typeof d === 'string' ? new Date(d) : new Date(d.getTime()));

function stateAt(now: Date, payload: LicensePayload): LicenseState {
  const exp = payload.exp * 1000;
  if (now.getTime() < exp) return exp - now.getTime() <= 60 * DAY_MS ? 'expiring' : 'active';
  if (now.getTime() < exp + (payload.grace ?? 14) * DAY_MS) return 'grace';
  return 'expired';
}

export function createWorld(options: { now: string | Date; admins?: GlobalAdmin[]; loc?: { used: number; threshold?: number } }): World {
  let now = toDate(options.now);
  let key: { lid: string; payload: LicensePayload; setAt: Date; state?: LicenseState } | null = null;
  const world: World = {
    now: () => new Date(now.getTime()),
    setNow(at) {
      now = toDate(at);
    },
    admins: options.admins ?? [],
    loc: { used: options.loc?.used ?? 0, threshold: options.loc?.threshold ?? 90 },
    refreshes: 0,
    gate: null,
    logs: [],
    setLicense(input) {
      if (!input) {
        key = null;
        return null;
      }
      const exp = toDate(input.exp);
      const lid = input.lid ?? randomUUID();
      const payload: LicensePayload = {
        v: 1,
        lid,
        sub: 'sub-1',
        licensee: input.licensee ?? 'Globex Corporation',
        serverId: SERVER_ID,
        type: 'production',
        edition: input.edition ?? 'enterprise',
        features: [],
        limits: input.loc === undefined ? {} : { loc: input.loc },
        tags: [],
        iat: Math.floor(exp.getTime() / 1000) - 365 * 86400,
        nbf: Math.floor(exp.getTime() / 1000) - 365 * 86400,
        exp: Math.floor(exp.getTime() / 1000),
        ...(input.grace === undefined ? {} : { grace: input.grace }),
      };
      key = { lid, payload, setAt: input.setAt ? toDate(input.setAt) : new Date(exp.getTime() - 365 * DAY_MS), state: input.state };
      return { lid };
    },
    currentKey: () => (key ? { lid: key.lid, payload: key.payload, setAt: key.setAt } : null),
    status() {
      const payload = key?.payload ?? null;
      const state: LicenseState = key ? (key.state ?? stateAt(now, key.payload)) : 'none';
      const limit = payload?.limits.loc ?? null;
      const used = world.loc.used;
      const expMs = payload ? payload.exp * 1000 : null;
      return {
        serverId: SERVER_ID,
        state,
        license: payload,
        loc: {
          used,
          limit,
          percent: limit === null ? null : Math.round((used / limit) * 1000) / 10,
          threshold: world.loc.threshold,
          softCap: false,
        },
        users: { used: 0, limit: null, reportedAt: null },
        warnings: [],
        details: {
          ...(payload ? pick(keyDates(payload, now)) : { validUntil: null, graceUntil: null, graceDaysLeft: null }),
          daysLeft: expMs === null ? null : Math.ceil((expMs - now.getTime()) / DAY_MS),
          graceEndsAt: expMs === null ? null : new Date(expMs + (payload!.grace ?? 14) * DAY_MS).toISOString(),
          expiresAt: expMs === null ? null : new Date(expMs).toISOString(),
          staging: false,
          evaluatedAt: now.toISOString(),
          bridgeUntil: null,
        },
      };
    },
  };
  return world;
}

export interface JobHarness {
  jobs: JobService;
  deps: JobDeps;
  knex: Knex;
  world: World;
  /** stops the service and closes the database connection */
  close(): Promise<void>;
}

/** Opens `db` (migrating it), and builds a job service on it for `world`. */
export async function jobHarness(
  db: TestDb,
  world: World,
  options: { mail?: MailOptions; schedule?: string; webhooks?: JobDeps['webhooks']; ticker?: JobDeps['ticker'] } = {},
): Promise<JobHarness> {
  const knex = knexFactory(db.config);
  await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
  const log = (level: LogLine['level']) => (message: string, data?: Record<string, unknown>) => {
    world.logs.push({ level, message, ...(data ? { data } : {}) });
  };
  const deps: JobDeps = {
    knex,
    now: () => world.now(),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    productName: PRODUCT,
    pageUrl: PAGE_URL,
    serverId: () => SERVER_ID,
    refresh: async () => {
      world.refreshes++;
      if (world.gate) await world.gate;
    },
    status: () => world.status(),
    currentKey: () => world.currentKey(),
    getGlobalAdmins: async () => world.admins.map((a) => ({ ...a })),
    ...(options.mail ? { mail: options.mail } : {}),
    ...(options.ticker ? { ticker: options.ticker } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
  };
  const jobs = createJobService(deps);
  return {
    jobs,
    deps,
    knex,
    world,
    async close() {
      await jobs.stop();
      await knex.destroy();
    },
  };
}

/** Mail settings for a test SMTP server. */
export function mailTo(smtpUrl: string): MailOptions {
  return { transport: smtpUrl, from: 'License Manager <license@scanner.example.com>' };
}

/**
 * One real SMTP server for a describe, and a job harness per test on a fresh database, mailing
 * there unless told otherwise; each test's harness is closed and the mailbox emptied after it.
 */
export function mailedJobs(dbs: DbFactory): { readonly smtp: SmtpTestServer; start(world: World, options?: { mail?: MailOptions }): Promise<JobHarness> } {
  let smtp: SmtpTestServer;
  let current: JobHarness | null = null;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  afterEach(async () => {
    await current?.close();
    current = null;
    smtp.clear();
  });
  return {
    get smtp() {
      return smtp;
    },
    async start(world, options = { mail: mailTo(smtp.url) }) {
      current = await jobHarness(await dbs.fresh(), world, options);
      return current;
    },
  };
}

const pick = ({ validUntil, graceUntil, graceDaysLeft }: KeyDates) => ({ validUntil, graceUntil, graceDaysLeft });
