/**
 * The runtime of one license manager: it owns the snapshot that requests read, its refresh, the
 * key ring and the clock mark. Jobs and the page are given this object (through their ports);
 * nothing calls back into the manager.
 *
 * Two rules make it easy to extend:
 * - a read that requests need is a field of the snapshot, built from `readFacts()` (facts.ts);
 * - a write is `runtime.write(async ({ knex, now }) => …)`: the work, then a refresh, resolving
 *   to the new status (see writes.ts).
 */
import type { Knex } from 'knex';
import type { Logger } from '../host.js';
import type { LicensePayload } from '../keys/claims.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { judgeClock, type ClockReading, type ClockState } from '../license/clock.js';
import { buildSnapshot, type Snapshot, type SnapshotFacts } from '../license/snapshot.js';
import type { LicenseStatus, Warning } from '../license/types.js';
import { LicenseError } from '../errors.js';
import type { Dialect } from '../store/dialects/index.js';
import { raiseMark, readMark } from '../store/clock-mark.js';
import { coalesce, type Coalesced } from './coalesce.js';
import { readFacts } from './facts.js';
import type { LoadedRing } from './ring.js';
import type { ConfigRefusal } from './config-keys.js';

function unavailableWarning(since: Date): Warning {
  return {
    code: 'DATABASE_UNAVAILABLE',
    message: `The database cannot be read since ${since.toISOString()}: the license is evaluated against the clock with the keys already loaded, and changes are refused until it is back.`,
  };
}

/** The code of a driver error for the log (never its text: it may hold bound values). */
const codeOf = (err: unknown): string => String((err as { code?: unknown })?.code ?? (err as { name?: unknown })?.name ?? 'unknown');

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer from the database within ${ms} ms`), { code: 'REFRESH_DEADLINE' })), ms);
    timer.unref();
  });
  work.catch(() => undefined); // a late failure after the deadline is not unhandled
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface RuntimeDeps {
  knex: Knex;
  dialect: Dialect;
  serverId: string;
  trusted: TrustedKeys;
  ring: LoadedRing;
  /** the wall clock (the host's `now`) */
  now: () => Date;
  /** the monotonic clock in ms (the host's `monotonic`), which confirms the wall clock's jumps */
  monotonic: () => number;
  /** the host injected `now` without `monotonic`: its clock is believed as is (SPEC 15.1) */
  trustWall: boolean;
  /**
   * NOTE: a refresh that has no answer by then is treated as an outage: a cut connection (no RST)
   * may hang until the OS gives up, minutes later, and the snapshot must move on with the clock.
   */
  dbTimeoutMs: number;
  logger: Logger;
  /**
   * Set when the database was migrated by a newer version (SPEC 24): every write is refused with
   * this error and the status carries it as a warning; reads and the snapshot go on.
   */
  readOnly?: () => LicenseError;
  /** configuration sources whose latest key was refused while an earlier one stays (SPEC 22) */
  configRefusals?: () => readonly ConfigRefusal[];
}

/** What a write works with. */
export interface WriteContext {
  knex: Knex;
  dialect: Dialect;
  serverId: string;
  /** the time to judge and record the write at (the clock policy's, not the raw clock) */
  now: Date;
}

export class Runtime {
  readonly knex: Knex;
  readonly dialect: Dialect;
  readonly serverId: string;
  readonly trusted: TrustedKeys;
  readonly ring: LoadedRing;
  readonly logger: Logger;
  /** re-read keys, settings and usage and evaluate again; coalesced (see coalesce.ts) */
  readonly refresh: Coalesced<LicenseStatus>;
  private snap: Snapshot | undefined;
  private lastFacts: SnapshotFacts | undefined;
  private mark: number | undefined;
  private clock: ClockState = {};
  /** when refreshes started failing to read the database; undefined while it answers */
  private unavailableSince: Date | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RuntimeDeps) {
    ({ knex: this.knex, dialect: this.dialect, serverId: this.serverId, trusted: this.trusted, ring: this.ring, logger: this.logger } = deps);
    this.refresh = coalesce(() => this.load());
  }

  /** The snapshot requests read; undefined before the first refresh. */
  get snapshot(): Snapshot | undefined {
    return this.snap;
  }

  /** What the last refresh read besides the keys. */
  get facts(): SnapshotFacts | undefined {
    return this.lastFacts;
  }

  status(): LicenseStatus {
    if (!this.snap) throw new TypeError('status() is available after start().');
    return this.snap.status;
  }

  hasFeature(name: string): boolean {
    return this.snap?.features.has(name) ?? false;
  }

  /** The current key with when it was set here, or null (what the job's reminders need). */
  currentKey(): { lid: string; payload: LicensePayload; setAt: Date } | null {
    const current = this.snap?.current;
    if (!current?.key.payload) return null;
    return { lid: current.key.lid, payload: current.key.payload, setAt: current.key.setAt };
  }

  /** The time decisions are made at: the clock as the clock policy judges it (SPEC 5.4, 15.1). */
  time(): Date {
    return judgeClock(this.mark, this.clock, this.read(), this.deps.trustWall).now;
  }

  private read(): ClockReading {
    return { wall: this.deps.now().getTime(), mono: this.deps.monotonic() };
  }

  /**
   * The pattern of every write: the work, then a refresh; resolves to the new status. A database
   * that cannot be reached is `DATABASE_UNAVAILABLE` (HTTP 503); the work must then have changed
   * nothing (one statement, or one transaction).
   */
  async write(work: (ctx: WriteContext) => Promise<unknown>): Promise<LicenseStatus> {
    this.assertWritable();
    try {
      await work({ knex: this.knex, dialect: this.dialect, serverId: this.serverId, now: this.time() });
    } catch (err) {
      throw this.unavailable(err);
    }
    return this.refresh();
  }

  /** true when a newer version migrated the database (SPEC 24) and this node changes nothing */
  get readOnly(): boolean {
    return this.deps.readOnly !== undefined;
  }

  /** SCHEMA_NEWER (SPEC 24) when a newer version migrated the database: this node changes nothing. */
  assertWritable(): void {
    if (this.deps.readOnly) throw this.deps.readOnly();
  }

  /** A read beyond the snapshot (the page's sections, the support file), with the same 503. */
  async query<T>(work: (knex: Knex) => Promise<T>): Promise<T> {
    try {
      return await work(this.knex);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** A streamed read beyond the snapshot (the usage CSV), with the same 503 when it fails. */
  async *stream<T>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* chunks;
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** The error to give callers: DATABASE_UNAVAILABLE when the dialect says the database is gone. */
  unavailable(err: unknown): unknown {
    return this.dialect.isUnavailable(err) ? new LicenseError('DATABASE_UNAVAILABLE', { cause: err }) : err;
  }

  /** Refresh every `ms` until stop(), so a node sees what other nodes wrote. */
  startRefreshing(ms: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.logger.error('License refresh failed', { error: String(err) }));
    }, ms);
    this.timer.unref();
  }

  /** Stops the periodic refresh and waits until no refresh runs or is queued. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.refresh.idle();
  }

  /**
   * SPEC 15.2: a refresh that cannot read the database (an error, or no answer within the
   * deadline: a cut connection may never answer) still evaluates again, against the clock, with
   * the keys and facts already loaded, and says `DATABASE_UNAVAILABLE`. Only the first refresh,
   * with nothing loaded yet, fails.
   */
  private async load(): Promise<LicenseStatus> {
    const reading = this.read();
    let read: Awaited<ReturnType<Runtime['readDatabase']>>;
    try {
      // the first refresh has nothing to fall back on: it waits as long as the database does
      read = this.lastFacts ? await withDeadline(this.readDatabase(reading), this.deps.dbTimeoutMs) : await this.readDatabase(reading);
    } catch (err) {
      if (!this.lastFacts) throw this.unavailable(err);
      const judged = judgeClock(this.mark, this.clock, reading, this.deps.trustWall);
      this.clock = judged.state;
      this.unavailableSince ??= judged.now;
      this.logger.warn('License refresh could not read the database; evaluating what is loaded', { code: codeOf(err) });
      return this.apply(judged.now, [...judged.warnings, unavailableWarning(this.unavailableSince)], this.lastFacts);
    }
    const { judged, mark, facts } = read;
    this.clock = judged.state;
    this.mark = mark;
    if (this.unavailableSince) this.logger.info('License refresh reads the database again');
    this.unavailableSince = undefined;
    this.lastFacts = facts;
    return this.apply(judged.now, judged.warnings, facts);
  }

  /** Everything a refresh reads and writes; applied only when it all succeeded in time. */
  private async readDatabase(reading: ClockReading) {
    const { knex } = this;
    // the database server's clock is the second witness (SPEC 21); a host's own `now` needs none
    const witness = this.deps.trustWall ? undefined : this.dialect.serverClock;
    const [stored, server] = await Promise.all([readMark(knex), witness?.(knex)]);
    const judged = judgeClock(stored, this.clock, server === undefined ? reading : { ...reading, server }, this.deps.trustWall);
    if (judged.raiseMarkTo !== undefined) await raiseMark(knex, judged.raiseMarkTo);
    await this.ring.loadNew(knex);
    const facts = await readFacts(knex);
    return { judged, mark: Math.max(stored ?? 0, judged.raiseMarkTo ?? 0) || undefined, facts };
  }

  private apply(now: Date, warnings: Warning[], facts: SnapshotFacts): LicenseStatus {
    if (this.deps.readOnly) warnings = [...warnings, this.deps.readOnly().toJSON()];
    this.snap = buildSnapshot({ serverId: this.serverId, keys: this.ring.all(), facts, now, warnings, configRefusals: this.deps.configRefusals?.() });
    return this.snap.status;
  }
}
