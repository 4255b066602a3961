/**
 * The README's picture of the page, taken by the test run from a real manager: a production
 * license, 90 days of daily snapshots written by the real job (the clock moves a day between
 * runs), a few projects. Saved to test-output/screenshot.png on every run; with
 * UPDATE_SCREENSHOT=1 also to docs/screenshot.png (committed), so a plain test run leaves the
 * checkout clean.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { startWeb, type WebFixture } from '../integration/web/fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? join(ROOT, 'docs', 'screenshot.png') : join(ROOT, 'test-output', 'screenshot.png');
const DAY = 86_400_000;

describe('browser: screenshot of the page for the README', () => {
  let browser: Browser;
  let web: WebFixture;

  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
    web = await startWeb({ now: new Date('2026-08-25T06:00:00Z') });
  });
  after(async () => {
    await browser?.close();
    await web?.close();
  });

  it('saves a screenshot of a licensed instance with 90 days of history', async () => {
    await web.setLicense(
      await web.issue({
        licensee: 'Northwind Traders',
        edition: 'enterprise',
        expires: '2027-06-30',
        features: ['sso', 'audit-log', 'portfolio-reports', 'branch-analysis'],
        loc: 500_000,
        users: 250,
        tags: ['true-up'],
      }),
    );
    const projects = ['payments-api', 'web-storefront', 'mobile-app', 'data-pipeline', 'identity-service', 'docs-site'];
    const start = web.clock.now.getTime();
    for (let day = 0; day < 90; day++) {
      web.clock.now = new Date(start + day * DAY);
      const growth = 1 + day / 120;
      for (const [i, project] of projects.entries()) {
        if (day % (i + 2) === 0) await web.recordAnalysis(project, 'main', Math.round((64_000 - i * 9_900) * growth + ((day * 7919 + i * 104_729) % 4_000)));
      }
      await web.lm.runJob();
    }
    await web.recordAnalysis('payments-api', 'release/2026.11', 12_000);
    await web.lm.reportUsers(184);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(web.base);
    expect(await page.locator('[data-testid="history-chart"] .chart-line').getAttribute('d')).to.match(/^M[\d.,]+( L[\d.,]+){89}$/);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await context.close();
  });
});
