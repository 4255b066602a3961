/**
 * The page against WCAG 2.1 AA with axe-core injected into the real page (light and dark, 1440
 * and 390 px), and the layout at 320 px: no horizontal overflow, the server ID never cut, tables
 * reachable by keyboard, focus visible, targets large enough.
 */
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { axe } from '../helpers/axe.js';
import { startWeb, type WebFixture } from '../integration/web/fixture.js';

const DAY = 86_400_000;

describe('browser: accessibility and layout of the page', () => {
  let browser: Browser;
  let web: WebFixture;

  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
    web = await startWeb({ now: new Date('2026-08-25T06:00:00Z') });
    await web.setLicense(await web.issue({ licensee: 'Northwind Traders', expires: '2026-10-10', features: ['sso', 'audit-log'], loc: 200_000, users: 50 }));
    const start = web.clock.now.getTime();
    for (let day = 0; day < 30; day++) {
      web.clock.now = new Date(start + day * 3 * DAY);
      await web.recordAnalysis(`project-${day % 7}`, 'main', 20_000 + day * 900);
      await web.lm.runJob();
    }
    await web.recordAnalysis('a-project-with-a-very-long-name-that-does-not-fit-on-a-phone', 'feature/a-long-branch-name-too', 1_000);
  });
  after(async () => {
    await browser?.close();
    await web?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [1440, 390]) {
      it(`has no serious or critical axe-core violation (WCAG 2.1 AA), ${scheme} scheme, ${width} px`, async () => {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(web.base);
        const violations = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
        await context.close();
        expect(violations, JSON.stringify(violations, null, 2)).to.deep.equal([]);
      });
    }
  }

  it('has no serious or critical violation in the preview step either (a warning shown), light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 390, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(web.base);
      await page.getByLabel('License key').fill(await web.issue({ licensee: 'Northwind Traders', features: ['sso'], loc: 100_000 }));
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
      await page.locator('[data-testid="preview-warning"]').waitFor();
      const violations = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await context.close();
      expect(violations, `${scheme}: ${JSON.stringify(violations, null, 2)}`).to.deep.equal([]);
      expect(overflow).to.be.at.most(0);
    }
  });

  it('does not scroll sideways at 320 px, and shows the whole server ID', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 700 } });
    const page = await context.newPage();
    await page.goto(web.base);
    const layout = await page.evaluate(() => {
      const id = document.querySelector('[data-testid="server-id"]') as HTMLElement;
      const box = id.getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        idCut: id.scrollWidth > id.clientWidth + 1,
        idInside: box.left >= 0 && box.right <= document.documentElement.clientWidth,
        idText: id.textContent?.trim(),
      };
    });
    await context.close();
    expect(layout.scrollWidth).to.be.at.most(layout.clientWidth);
    expect(layout).to.include({ idCut: false, idInside: true, idText: web.serverId });
  });

  it('lets the keyboard reach and scroll every table, with a visible focus ring of 3:1 or more', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(web.base);
    const wrap = page.locator('.table-wrap').first();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await wrap.evaluate((el) => el === document.activeElement)) break;
    }
    expect(await wrap.evaluate((el) => el === document.activeElement)).to.equal(true);
    expect(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth)).to.equal(true); // wider than the phone
    expect(await wrap.evaluate((el) => el.scrollLeft)).to.equal(0);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    // (scrolling may be animated: wait for it rather than read it at once)
    await page.waitForFunction(() => (document.activeElement as HTMLElement).scrollLeft > 0, undefined, { timeout: 5000 });
    const ring = await wrap.evaluate((el) => {
      const cs = getComputedStyle(el);
      return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor, page: getComputedStyle(document.body).backgroundColor };
    });
    expect(ring.style).to.equal('solid');
    expect(ring.width).to.be.at.least(2);
    expect(contrast(ring.color, ring.page)).to.be.at.least(3);
    await context.close();
  });

  it('gives every button and form control a target of 24 px or more', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(web.base);
    const small = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, .button, input:not([type=hidden]), textarea, [role=slider]'))
        .filter((el) => (el as HTMLElement).offsetParent !== null || el.getAttribute('role') === 'slider')
        .map((el) => ({ el: el.outerHTML.slice(0, 80), box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && (box.width < 24 || box.height < 24))
        .map(({ el }) => el),
    );
    await context.close();
    expect(small).to.deep.equal([]);
  });
});

/** WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha ignored). */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
