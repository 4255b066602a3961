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
import type { LicenseStatus } from '../license/types.js';
import type { Dialect } from '../store/dialects/index.js';
import { raiseMark, readMark } from '../store/clock-mark.js';
import { coalesce, type Coalesced } from './coalesce.js';
import { readFacts } from './facts.js';
import type { LoadedRing } from './ring.js';

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
  logger: Logger;
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
    return this.snap !== undefined && this.snap.features.has(name);
  }

  /** The current key with when it was set here, or null (what the job's reminders need). */
  currentKey(): { lid: string; payload: LicensePayload; setAt: Date } | null {
    const current = this.snap?.current;
    if (!current?.key.payload) return null;
    return { lid: current.key.lid, payload: current.key.payload, setAt: current.key.setAt };
  }

  /** The time decisions are made at: the clock as the clock policy judges it (SPEC 5.4, 15.1). */
  time(): Date {
    return judgeClock(this.mark, this.clock, this.read()).now;
  }

  private read(): ClockReading {
    return { wall: this.deps.now().getTime(), mono: this.deps.monotonic() };
  }

  /** The pattern of every write: the work, then a refresh; resolves to the new status. */
  async write(work: (ctx: WriteContext) => Promise<unknown>): Promise<LicenseStatus> {
    await work({ knex: this.knex, dialect: this.dialect, serverId: this.serverId, now: this.time() });
    return this.refresh();
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

  private async load(): Promise<LicenseStatus> {
    const { knex } = this;
    const reading = this.read();
    const mark = await readMark(knex);
    const judged = judgeClock(mark, this.clock, reading);
    this.clock = judged.state;
    if (judged.raiseMarkTo !== undefined) await raiseMark(knex, judged.raiseMarkTo);
    this.mark = Math.max(mark ?? 0, judged.raiseMarkTo ?? 0) || undefined;
    await this.ring.loadNew(knex);
    const facts = await readFacts(knex);
    this.lastFacts = facts;
    this.snap = buildSnapshot({ serverId: this.serverId, keys: this.ring.all(), facts, now: judged.now, warnings: judged.warnings });
    return this.snap.status;
  }
}
