/**
 * SPEC 22 "Request a move" on the page, in Chromium: after a real database copy, the banner's
 * Request a move leads to the form, the form's answer is a download (a move request signed by the
 * old server ID's instance key), and axe-core finds no serious or critical violation (WCAG 2.1 AA)
 * at 1440 and 390 px, light and dark, with no sideways scroll.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { seriousViolations } from '../helpers/axe.js';
import { DbFactory } from '../helpers/dbs.js';
import { copyDatabase } from '../helpers/copy-db.js';
import { testVendor } from '../helpers/license-keys.js';
import { Managers, testClock } from '../helpers/managers.js';
import { serve } from '../integration/web/fixture.js';
import { readMoveRequest } from '../../lib/move/format.js';

describe('browser: Request a move after the server ID changed (SPEC 22)', () => {
  let browser: Browser;
  const dbs = new DbFactory('sqlite');
  const managers = new Managers();
  let web: { origin: string; close: () => Promise<void> };
  let oldId: string;
  let oldKid: string;
  let newId: string;

  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
    const vendor = await testVendor();
    const clock = testClock('2026-11-20T18:00:00Z');
    const oldDb = await dbs.fresh();
    const before = await managers.start(oldDb, vendor, clock);
    await before.setLicense(await vendor.issue({ serverId: before.serverId, licensee: 'Northwind Traders', features: ['sso'] }));
    oldId = before.serverId;
    oldKid = before.instanceKeyId;
    await managers.stopAll();
    const moved = await managers.start(await copyDatabase(dbs, oldDb), vendor, clock);
    newId = moved.serverId;
    web = await serve(moved.router());
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await managers.stopAll();
    await dbs.dropAll();
  });

  async function check(page: Page, what: string): Promise<void> {
    expect(await seriousViolations(page), what).to.deep.equal([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${what}: sideways scroll`).to.be.at.most(0);
  }

  for (const width of [1440, 390]) {
    it(`leads from the banner to the form and downloads a signed move request, at ${width} px, light and dark`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme, acceptDownloads: true });
        const page = await context.newPage();
        await page.goto(`${web.origin}/admin/license/`);
        const banner = page.locator('[data-banner="SERVER_ID_CHANGED"]');
        await banner.getByRole('link', { name: 'Request a move' }).click();
        const section = page.locator('#move');
        expect(await section.isVisible()).to.equal(true);
        expect(await section.getByTestId('move-old-id').textContent()).to.equal(oldId);
        expect(await section.getByTestId('move-new-id').textContent()).to.equal(newId);
        const inView = await section.evaluate((el) => {
          const box = el.getBoundingClientRect();
          return box.top < window.innerHeight && box.bottom > 0;
        });
        expect(inView, 'the form is in view after the banner link').to.equal(true);
        await check(page, `${scheme} ${width} px`);

        await page.getByLabel('What happened to the database (optional)').fill(`Restored on the new cluster (${scheme})`);
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Request a move' }).click()]);
        expect(download.suggestedFilename()).to.equal(`move-request-${newId}.jws`);
        const read = await readMoveRequest(await readFile((await download.path())!, 'utf8'));
        expect(read.signer.kid).to.equal(oldKid);
        expect(read.payload).to.include({ oldServerId: oldId, newServerId: newId, reason: `Restored on the new cluster (${scheme})` });
        // the page stays as it was: the download did not navigate away
        expect(page.url()).to.equal(`${web.origin}/admin/license/#move`);
        await context.close();
      }
    });
  }
});
