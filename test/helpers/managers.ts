import { createLicenseManager, type LicenseManager } from '../../lib/index.js';
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
  return { now: () => t, set: (v) => { t = new Date(v); } };
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
