import { expect } from 'chai';
import { createLicenseManager, LicenseError, type LicenseManager } from '../../lib/index.js';
import type { LicenseManagerOptions } from '../../lib/manager-options.js';
import type { TestDb } from './dbs.js';
import type { TestVendor } from './license-keys.js';

/** A clock the test moves by hand. */
export interface TestClock {
  now: () => Date;
  set(iso: string | Date): void;
}

export function testClock(iso: string): TestClock {
  let t = new Date(iso);
  return {
    now: () => t,
    set: (v) => {
      t = new Date(v);
    },
  };
}

/** Starts real managers and stops them all after each test. */
export class Managers {
  private readonly started: LicenseManager[] = [];

  async start(db: TestDb, vendor: TestVendor, clock: TestClock, extra: Partial<LicenseManagerOptions> = {}): Promise<LicenseManager> {
    const lm = createLicenseManager({
      db: db.config,
      publicKeys: [vendor.pair.publicJwk],
      productName: 'Acme Code Scanner',
      baseUrl: 'http://localhost:3000/admin/license',
      authorize: () => true,
      getGlobalAdmins: async () => [],
      now: clock.now,
      env: {},
      refreshSeconds: 3600,
      ...extra,
    });
    this.started.push(lm);
    await lm.start();
    return lm;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((lm) => lm.stop()));
  }
}

/** A wall clock and a monotonic clock the test moves: together (time passes) or apart (a jump). */
export interface TwoClocks extends TestClock {
  monotonic: () => number;
  /** time passes: both clocks move */
  pass(ms: number): void;
  /** the wall clock alone is set (a jump the monotonic clock does not confirm) */
  setWall(at: number): void;
  readonly wall: number;
}

export function twoClocks(iso: string): TwoClocks {
  let wall = Date.parse(iso);
  let mono = 1_000;
  return {
    now: () => new Date(wall),
    monotonic: () => mono,
    pass(ms) {
      wall += ms;
      mono += ms;
    },
    setWall(at) {
      wall = at;
    },
    /** both clocks move to `at` (time passed until then) */
    set(at) {
      const next = new Date(at).getTime();
      mono += next - wall;
      wall = next;
    },
    get wall() {
      return wall;
    },
  };
}

/** The LicenseError a promise rejects with; fails the test when it resolves. */
export async function refusal(promise: Promise<unknown>): Promise<LicenseError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(LicenseError);
    return err as LicenseError;
  }
  throw new Error('expected a refusal');
}
