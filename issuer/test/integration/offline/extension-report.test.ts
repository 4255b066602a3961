/**
 * SPEC 22 end to end: the vendor issues a key with a self-service extension (registry), the
 * customer uses it offline (lm.extend), the next usage report carries it, and the vendor's
 * `usage show` (text and JSON) and the portal's usage page list it. Real databases.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { Managers, testClock } from '../../../../test/helpers/managers.js';
import type { TestVendor } from '../../../../test/helpers/license-keys.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { generateKeyPair } from '../../../../lib/keys/sign.js';
import type { UsageSummary } from '../../../lib/registry/index.js';
import { openRegistry } from '../registry/helpers.js';
import { signedIn, startPortal } from '../portal/fixture.js';

withDbs('self-service extension, from the vendor and back (SPEC 22)', (dbs) => {
  const managers = new Managers();
  afterEach(() => managers.stopAll());

  it('issued with an extension, used offline, listed by usage show and the usage report', async function () {
    this.timeout(120_000);
    const clock = testClock('2026-03-01T09:00:00Z');
    const cwd = mkdtempSync(join(tmpdir(), 'lm-ext-report-'));
    const run = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, now: clock.now, cwd };
      return { code: await runCli(argv, io), stdout, stderr };
    };
    try {
      const pair = await generateKeyPair();
      const lm = await managers.start(await dbs.fresh('exti'), { pair } as TestVendor, clock);
      const registryDb = await dbs.fresh('extv');
      const registry = await openRegistry(registryDb, clock.now);
      const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
      const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-04-30', users: 10 });
      const issued = await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: lm.serverId, extension: { days: 7, uses: 2 } });
      await registry.close();
      await lm.setLicense(issued.key, { actor: 'alice' });

      // Saturday 16 May 2026, a day after the grace ended (within the 3-day window): the customer extends offline
      clock.set('2026-05-16T02:00:00Z');
      await lm.refresh();
      const { extension } = await lm.extend({ actor: 'night-ops' });
      expect(extension).to.include({ use: 1, uses: 2, days: 7, until: '2026-05-24T00:00:00.000Z' });
      writeFileSync(join(cwd, 'report.jws'), (await lm.usageReport()).text);

      const imported = await run('vendor', 'usage', 'import', 'report.jws', '--registry', registryDb.url);
      expect(imported.code, imported.stderr).to.equal(0);
      const shown = await run('vendor', 'usage', 'show', '--subscription', sub.id, '--registry', registryDb.url);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout, shown.stdout).to.include(
        `extension 1 of license ${issued.lid}: 7 days, used by night-ops on 2026-05-16, grace until 23 May 2026 (report 1)`,
      );
      const json = JSON.parse((await run('vendor', 'usage', 'show', '--subscription', sub.id, '--json', '--registry', registryDb.url)).stdout) as UsageSummary;
      expect(json.extensions).to.deep.equal([
        {
          lid: issued.lid,
          serverId: lm.serverId,
          use: 1,
          days: 7,
          at: '2026-05-16T02:00:00.000Z',
          until: '2026-05-24T00:00:00.000Z',
          actor: 'night-ops',
          reportSeq: 1,
        },
      ]);

      // a later report lists it again: still once
      clock.set('2026-05-20T09:00:00Z');
      await lm.runJob();
      writeFileSync(join(cwd, 'report-2.jws'), (await lm.usageReport()).text);
      expect((await run('vendor', 'usage', 'import', 'report-2.jws', '--registry', registryDb.url)).code).to.equal(0);
      const again = JSON.parse((await run('vendor', 'usage', 'show', '--subscription', sub.id, '--json', '--registry', registryDb.url)).stdout) as UsageSummary;
      expect(again.extensions.map((e) => [e.use, e.reportSeq])).to.deep.equal([[1, 1]]);

      // the portal's usage page lists it too
      const portal = await startPortal(registryDb, { now: clock.now });
      try {
        const page = (await (await signedIn(portal.url, 'support')).get('/usage')).text;
        expect(page).to.include('>Self-service extensions</h3>');
        const table = page.slice(page.indexOf('data-testid="usage-extensions"'));
        expect(table).to.include('night-ops').and.include(issued.lid).and.include('2026-05-16').and.include('23 May 2026');
      } finally {
        await portal.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
