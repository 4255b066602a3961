import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { Managers, testClock } from '../../../../test/helpers/managers.js';
import type { TestVendor } from '../../../../test/helpers/license-keys.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { generateKeyPair } from '../../../../lib/keys/sign.js';
import type { UsageSummary } from '../../../lib/registry/index.js';
import { openRegistry } from '../registry/helpers.js';

const DAY_MS = 86_400_000;
const START = Date.parse('2026-01-01T06:00:00Z');
const locOn = (d: number) => 500 + 20 * d;
const usersOn = (d: number) => 3 + Math.floor(d / 5);

/** The CLI in-process, in a temporary directory, with the test's clock. */
function cli(now: () => Date) {
  const cwd = mkdtempSync(join(tmpdir(), 'lm-usage-loop-'));
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, now, cwd };
    return { code: await runCli(argv, io), stdout, stderr };
  };
  return { cwd, run, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

withDbs('the air-gapped month: usage reports from instance to vendor (SPEC 18.1)', (dbs) => {
  const managers = new Managers();
  afterEach(() => managers.stopAll());

  it('60 days of usage, two reports (CLI and API), the vendor imports both and shows the right peaks and overage', async function () {
    this.timeout(120_000);
    const clock = testClock(new Date(START).toISOString());
    const c = cli(clock.now);
    try {
      const pair = await generateKeyPair();
      const vendor = { pair } as TestVendor;
      const instanceDb = await dbs.fresh('loopi');
      const lm = await managers.start(instanceDb, vendor, clock);

      // the vendor: a subscription for this instance, its production key (true-up: over the limit is billed, not blocked)
      const registryDb = await dbs.fresh('loopv');
      const registry = await openRegistry(registryDb, clock.now);
      const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
      const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-12-31', users: 10, loc: 1000 });
      const issued = await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: lm.serverId, tags: ['true-up'] });
      await registry.close();
      await lm.setLicense(issued.key);

      writeFileSync(join(c.cwd, 'vendor.jwk.json'), JSON.stringify(pair.publicJwk));
      let first = '';
      for (let d = 0; d < 60; d++) {
        clock.set(new Date(START + d * DAY_MS));
        await lm.recordAnalysis({ project: 'core', branch: 'main', loc: locOn(d) });
        await lm.reportUsers(usersOn(d));
        const run = await lm.runJob();
        expect(run.ran, `job of day ${d}`).to.equal(true);
        if (d === 31) {
          // 2026-02-01: the administrator writes the first report with the CLI
          const out = await c.run('usage-report', '--db', instanceDb.url, '--public-key', 'vendor.jwk.json', '--out', 'report-1.jws');
          expect(out.code, out.stderr).to.equal(0);
          first = 'report-1.jws';
        }
      }
      expect(lm.status().users).to.deep.equal({ used: usersOn(59), limit: 10, reportedAt: new Date(START + 59 * DAY_MS).toISOString() });

      // 2026-03-01: the second report, downloaded from the page's API
      const app = express();
      app.use('/admin/license', lm.router());
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      let second: string;
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license/api/usage-report`);
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-disposition')).to.include(`usage-report-${lm.serverId}-0002.jws`);
        second = await res.text();
      } finally {
        await new Promise((r) => server.close(r));
      }
      writeFileSync(join(c.cwd, 'report-2.jws'), second);

      // the vendor imports both and reads the true-up
      const imported1 = await c.run('vendor', 'usage', 'import', first, '--registry', registryDb.url);
      expect(imported1.code, imported1.stderr).to.equal(0);
      expect(imported1.stdout)
        .to.include(`Imported report 1 of ${lm.serverId} (2026-01 to 2026-02)`)
        .and.include(`instance key ${lm.instanceKeyId} is now pinned`);
      const imported2 = await c.run('vendor', 'usage', 'import', 'report-2.jws', '--registry', registryDb.url);
      expect(imported2).to.deep.include({ code: 0, stderr: '' });
      expect(imported2.stdout).to.include('Imported report 2').and.include('(2026-02 to 2026-03)');
      const again = await c.run('vendor', 'usage', 'import', 'report-2.jws', '--registry', registryDb.url);
      expect(again.stdout).to.include('already imported: nothing changed');

      const shown = await c.run('vendor', 'usage', 'show', '--subscription', sub.id, '--json', '--registry', registryDb.url);
      expect(shown.code, shown.stderr).to.equal(0);
      const summary = JSON.parse(shown.stdout) as UsageSummary;
      expect(summary.instanceKeyId).to.equal(lm.instanceKeyId);
      expect(summary.missing).to.deep.equal([]);
      // day 30 is 2026-01-31, day 58 is 2026-02-28, day 59 is 2026-03-01
      expect(summary.months).to.deep.equal([
        { month: '2026-01', peakLoc: locOn(30), peakUsers: usersOn(30), limitLoc: 1000, limitUsers: 10, overLoc: locOn(30) - 1000, overUsers: 0 },
        {
          month: '2026-02',
          peakLoc: locOn(58),
          peakUsers: usersOn(58),
          limitLoc: 1000,
          limitUsers: 10,
          overLoc: locOn(58) - 1000,
          overUsers: usersOn(58) - 10,
        },
        {
          month: '2026-03',
          peakLoc: locOn(59),
          peakUsers: usersOn(59),
          limitLoc: 1000,
          limitUsers: 10,
          overLoc: locOn(59) - 1000,
          overUsers: usersOn(59) - 10,
        },
      ]);
      const text = await c.run('vendor', 'usage', 'show', '--subscription', sub.id, '--registry', registryDb.url);
      expect(text.stdout).to.include(`2026-02  lines of code ${locOn(58)} of 1000  OVER BY ${locOn(58) - 1000}`);
    } finally {
      c.cleanup();
    }
  });
});
