/**
 * SPEC 22 on the page, in Chromium: Extend by N days with its confirmation step (focused, in view),
 * the outcome and the extension banner, and the Next license block with a gap warning; axe-core
 * finds no serious or critical violation (WCAG 2.1 AA) at 1440 and 390 px, light and dark.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { seriousViolations } from '../helpers/axe.js';
import { api, startWeb, type WebFixture } from '../integration/web/fixture.js';

describe('browser: self-service extension and the next license (SPEC 22)', () => {
  let browser: Browser;
  let web: WebFixture;

  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
    // valid until 31 December 2027, 14 days of grace; the renewal starts 20 January 2028: a gap
    web = await startWeb({ now: new Date('2027-12-20T09:00:00Z') });
    await web.setLicense(await web.issue({ licensee: 'Northwind Traders', expires: '2027-12-31', features: ['sso'], ext: { days: 10, uses: 3 } }));
    await web.setLicense(await web.issue({ licensee: 'Northwind Traders', expires: '2028-12-31', startsAt: new Date('2028-01-20T00:00:00Z') }));
    web.clock.now = new Date('2028-01-05T09:00:00Z');
    await web.refresh();
  });
  after(async () => {
    await browser?.close();
    await web?.close();
  });

  async function check(page: Page, what: string): Promise<void> {
    expect(await seriousViolations(page), what).to.deep.equal([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${what}: sideways scroll`).to.be.at.most(0);
  }

  it('shows the next license and the gap, and offers the extension', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      for (const width of [1440, 390]) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(web.base);
        const next = page.getByTestId('next-license');
        expect(await next.getByTestId('next-licensee').textContent()).to.equal('Northwind Traders');
        expect(await next.getByTestId('next-starts').textContent()).to.equal('20 January 2028');
        expect(await next.getByTestId('next-valid-until').textContent()).to.equal('31 December 2028');
        expect(await page.locator('[data-banner="LICENSE_GAP"]').textContent()).to.include('19 days without a license (1 January 2028 to 19 January 2028)');
        expect(await page.getByRole('button', { name: 'Extend by 10 days' }).isVisible()).to.equal(true);
        await check(page, `${scheme} ${width} px`);
        await context.close();
      }
    }
  });

  for (const width of [1440, 390]) {
    it(`extends through the confirmation step, focused and in view, at ${width} px`, async () => {
      const before = web.status().extension!.used;
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      await page.goto(web.base);
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Extend by 10 days' }).click()]);
      const confirm = page.getByTestId('extend-confirm');
      await confirm.waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'outcome');
      expect(await confirm.isVisible()).to.equal(true);
      expect(await confirm.textContent())
        .to.include(`extension ${before + 1} of 3`)
        .and.include('your vendor sees it in your next usage report');
      expect(web.status().extension!.used, 'nothing changes before Confirm').to.equal(before);
      await check(page, `confirmation ${width} px`);

      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Confirm: extend by 10 days' }).click()]);
      const flash = page.getByTestId('flash');
      await flash.waitFor();
      expect(await flash.textContent()).to.match(/The license is extended by 10 days: commercial features stay on through \d+ (January|February) 2028\./);
      expect(await page.locator('[data-banner="LICENSE_EXTENDED"]').textContent()).to.include('by admin on 5 January 2028');
      expect(web.status().extension!.used).to.equal(before + 1);
      await check(page, `after extending, ${width} px`);
      await context.close();
    });
  }

  it('Cancel changes nothing', async () => {
    const before = web.status().extension!.used;
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${web.base}/?confirm=extend`);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Cancel' }).click()]);
    expect(await page.getByTestId('extend-confirm').count()).to.equal(0);
    expect(web.status().extension!.used).to.equal(before);
    await context.close();
  });

  it('the JSON API: POST api/license/extend uses the last one, then answers 409 EXTENSION_NOT_AVAILABLE with why', async () => {
    expect((await api(web.base, 'POST', '/license/extend', { use: 7 })).json.error.code).to.equal('VALIDATION_FAILED');
    const used = await api(web.base, 'POST', '/license/extend', {});
    expect(used.status).to.equal(200);
    expect(used.json.extension).to.include({ use: 3, uses: 3, days: 10, actor: 'admin' });
    expect(used.json.status.extension).to.include({ used: 3, available: false });
    const spent = await api(web.base, 'POST', '/license/extend', {});
    expect(spent.status).to.equal(409);
    expect(spent.json.error.code).to.equal('EXTENSION_NOT_AVAILABLE');
    expect(spent.json.error.message).to.include('3 of 3');
  });
});
