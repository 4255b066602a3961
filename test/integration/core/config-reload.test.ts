import { expect } from 'chai';
import { mkdirSync, mkdtempSync, openSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LicenseManager } from '../../../lib/index.js';
import type { LicenseStatus } from '../../../lib/license/types.js';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor, seconds, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock, type TestClock } from '../../helpers/managers.js';
import { serve } from '../web/fixture.js';

/** Waits (real time: file events are real) until every manager's status passes `ok`. */
async function until(lms: LicenseManager[], ok: (s: LicenseStatus) => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!lms.every((lm) => ok(lm.status()))) {
    if (Date.now() > end)
      throw new Error(
        `not within ${ms} ms: ${what}; statuses: ${lms.map((lm) => `${lm.status().license?.licensee}/${lm.status().license?.source}`).join(', ')}`,
      );
    await sleep(20);
  }
}

const licensee =
  (name: string, source = 'file') =>
  (s: LicenseStatus) =>
    s.license?.licensee === name && s.license.source === source && s.state === 'active';
const codes = (lm: LicenseManager) => lm.status().warnings.map((w) => w.code);

withDbs(
  'license key from configuration, reloaded (SPEC 22)',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    let dir: string;
    before(async () => {
      vendor = await testVendor();
    });
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'lm-keyfile-'));
    });
    afterEach(async () => {
      await managers.stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A database and its server ID (a first manager settles it, then stops). */
    async function database(clock: TestClock): Promise<{ db: TestDb; serverId: string }> {
      const db = await dbs.fresh();
      const first = await managers.start(db, vendor, clock);
      const serverId = first.serverId;
      await managers.stopAll();
      return { db, serverId };
    }

    /**
     * Two nodes on one database, each watching the same file (refresh and poll once an hour: only
     * events count). Started one after the other: two SQLite connections of one process starting at
     * once wait out each other's busy timeout (better-sqlite3 blocks the thread while it waits).
     */
    async function twoNodes(db: TestDb, clock: TestClock, file: string): Promise<LicenseManager[]> {
      const options = { env: { LICENSE_KEY_FILE: file }, refreshSeconds: 3600 };
      const a = await managers.start(db, vendor, clock, options);
      return [a, await managers.start(db, vendor, clock, options)];
    }

    it('takes a Kubernetes Secret update (the ..data link swapped to a new folder) on both nodes', async () => {
      const clock = testClock('2026-11-23T12:00:00Z');
      const { db, serverId } = await database(clock);
      // the layout kubelet writes: license.key -> ..data/license.key, ..data -> ..2026_11_23_old
      mkdirSync(join(dir, '..2026_11_23_old'));
      writeFileSync(join(dir, '..2026_11_23_old', 'license.key'), await vendor.issue({ serverId, licensee: 'First Secret' }));
      symlinkSync('..2026_11_23_old', join(dir, '..data'));
      symlinkSync('..data/license.key', join(dir, 'license.key'));
      const nodes = await twoNodes(db, clock, join(dir, 'license.key'));
      await until(nodes, licensee('First Secret'), 'the first key');

      // the update: a new folder, a new link beside the old, renamed over it, the old folder removed
      mkdirSync(join(dir, '..2026_11_24_new'));
      writeFileSync(join(dir, '..2026_11_24_new', 'license.key'), await vendor.issue({ serverId, licensee: 'Second Secret' }));
      symlinkSync('..2026_11_24_new', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, '..2026_11_23_old'), { recursive: true });
      await until(nodes, licensee('Second Secret'), 'the swapped Secret on both nodes');
      for (const lm of nodes) expect(codes(lm)).to.not.include('LICENSE_SOURCE_REFUSED');

      // and once more: the watch follows the link to its new folder
      mkdirSync(join(dir, '..2026_11_25_third'));
      writeFileSync(join(dir, '..2026_11_25_third', 'license.key'), await vendor.issue({ serverId, licensee: 'Third Secret' }));
      symlinkSync('..2026_11_25_third', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      await until(nodes, licensee('Third Secret'), 'a second swap');
    });

    it("takes an editor's rename over the file on both nodes", async () => {
      const clock = testClock('2026-11-23T12:00:00Z');
      const { db, serverId } = await database(clock);
      const file = join(dir, 'license.key');
      writeFileSync(file, await vendor.issue({ serverId, licensee: 'Before the edit' }));
      const nodes = await twoNodes(db, clock, file);
      await until(nodes, licensee('Before the edit'), 'the first key');
      writeFileSync(
        join(dir, '.license.key.swp'),
        `-----BEGIN LICENSE KEY-----\n${await vendor.issue({ serverId, licensee: 'After the edit' })}\n-----END LICENSE KEY-----\n`,
      );
      renameSync(join(dir, '.license.key.swp'), file);
      await until(nodes, licensee('After the edit'), 'the renamed file on both nodes');
    });

    it('never takes a half-written file: a slow plain rewrite is read once it has settled', async () => {
      const clock = testClock('2026-11-23T12:00:00Z');
      const { db, serverId } = await database(clock);
      const file = join(dir, 'license.key');
      writeFileSync(file, ''); // configured, but empty: no key from the file yet, nothing stored
      const nodes = await twoNodes(db, clock, file);
      expect(nodes[0]!.status().state).to.equal('none');
      const key = await vendor.issue({ serverId, licensee: 'Written slowly' });
      const seen = new Set<string>();
      let writing = true;
      const watcher = (async () => {
        while (writing) {
          for (const lm of nodes) seen.add(`${lm.status().state}${codes(lm).includes('LICENSE_SOURCE_REFUSED') ? '+refused' : ''}`);
          await sleep(2);
        }
      })();
      // a plain rewrite in pieces, each sooner than the two reads that must agree (100 ms apart)
      const fd = openSync(file, 'w');
      const pieces = 8;
      const size = Math.ceil(key.length / pieces);
      for (let i = 0; i < pieces; i++) {
        writeSync(fd, key.slice(i * size, (i + 1) * size));
        await sleep(30);
      }
      closeSync(fd);
      await until(nodes, licensee('Written slowly'), 'the whole key');
      writing = false;
      await watcher;
      // a half-written key would have shown as `invalid` or as a refused source
      expect([...seen].sort()).to.deep.equal(['active', 'none']);
    });

    it('keeps a good stored key in force beside a refused key in the file, and says why', async () => {
      const clock = testClock('2026-11-23T12:00:00Z');
      const { db, serverId } = await database(clock);
      const file = join(dir, 'license.key');
      writeFileSync(file, await vendor.issue({ serverId, licensee: 'Expired in the file', exp: seconds('2026-10-01T00:00:00Z'), grace: 14 }));
      const [a] = await twoNodes(db, clock, file);
      await a!.setLicense(await vendor.issue({ serverId, licensee: 'Stored' }), { actor: 'alice' });
      expect(a!.status()).to.deep.include({ state: 'active' });
      expect(a!.status().license).to.include({ licensee: 'Stored', source: 'page' });
      const refused = a!.status().warnings.find((w) => w.code === 'LICENSE_SOURCE_REFUSED');
      expect(refused?.message).to.include(`LICENSE_KEY_FILE (${file})`).and.include('expired').and.include('The license set on this page stays in force.');

      // a key for another server in the file: refused too, naming both server IDs
      writeFileSync(file, await vendor.issue({ serverId: 'ABCDEF01-AAAAAAAAAAAAAAAAAAAA', licensee: 'Other server' }));
      await until(
        [a!],
        (s) => s.warnings.some((w) => w.code === 'LICENSE_SOURCE_REFUSED' && w.message.includes('ABCDEF01-AAAAAAAAAAAAAAAAAAAA')),
        'the second refusal',
      );
      expect(a!.status().license).to.include({ licensee: 'Stored', source: 'page' });
      expect(a!.hasFeature('sso')).to.equal(true);

      // a good key in the file is taken; a damaged one after it does not replace it
      const good = await vendor.issue({ serverId, licensee: 'Good in the file' });
      writeFileSync(file, good);
      await until([a!], licensee('Good in the file'), 'the good key');
      expect(codes(a!)).to.not.include('LICENSE_SOURCE_REFUSED');
      writeFileSync(file, `${good.slice(0, -10)}AAAAAAAAAA`);
      await until([a!], (s) => s.warnings.some((w) => w.code === 'LICENSE_SOURCE_REFUSED'), 'the damaged key refused');
      expect(a!.status().license).to.include({ licensee: 'Good in the file', source: 'file' });
      expect(a!.status().warnings.find((w) => w.code === 'LICENSE_SOURCE_REFUSED')?.message).to.include('The key read from it before stays in force.');
      // the page says where the license comes from, and why the file's new key is not taken
      const web = await serve(a!.router());
      try {
        const html = await (await fetch(`${web.origin}/admin/license/`)).text();
        expect(html).to.contain('data-testid="license-source">Configuration: the file named by LICENSE_KEY_FILE<');
        expect(html).to.contain('data-banner="LICENSE_SOURCE_REFUSED"');
      } finally {
        await web.close();
      }
    });

    it('lm.reload() reads every source again; status().license.source names it', async () => {
      const clock = testClock('2026-11-23T12:00:00Z');
      const { db, serverId } = await database(clock);
      const env: NodeJS.ProcessEnv = { LICENSE_KEY: await vendor.issue({ serverId, licensee: 'From the environment' }) };
      const lm = await managers.start(db, vendor, clock, { env });
      expect(lm.status().license).to.include({ licensee: 'From the environment', source: 'env' });
      env.LICENSE_KEY = await vendor.issue({ serverId, licensee: 'Reloaded' });
      expect(lm.status().license?.licensee).to.equal('From the environment'); // nothing watches the environment
      expect((await lm.reload()).license).to.include({ licensee: 'Reloaded', source: 'env' });
      delete env.LICENSE_KEY;
      expect((await lm.reload()).state).to.equal('none');
      await managers.stopAll();
      const viaOption = await managers.start(db, vendor, clock, { licenseKey: await vendor.issue({ serverId, licensee: 'From the option' }) });
      expect(viaOption.status().license).to.include({ source: 'option' });
    });
  },
  ['sqlite', 'postgres'],
);
