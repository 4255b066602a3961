/**
 * The License Manager page in a real Chromium, against a real license manager on SQLite: what an
 * administrator does with it, by mouse and keyboard. Ends with the screenshot of the README.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { startWeb, type WebFixture } from '../integration/web/fixture.js';

describe('browser: the License Manager page', function () {
  let browser: Browser;
  let web: WebFixture;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    requireChromium(this);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    web = await startWeb();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
    await web?.close();
  });

  const open = () => page.goto(web.base);
  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();

  it('paste a key into Set new license: it becomes the current license', async () => {
    await open();
    expect(await text('[data-testid="state"]')).to.equal('No license');
    const key = await web.issue({ licensee: 'Globex Corporation', features: ['sso'] });
    await page.getByLabel('License key').fill(`-----BEGIN LICENSE KEY-----\n${key}\n-----END LICENSE KEY-----`);
    await Promise.all([page.waitForURL(/done=license/), page.getByRole('button', { name: 'Set license' }).click()]);
    expect(await text('[data-testid="flash"]')).to.equal('The new license is set.');
    expect(await text('[data-testid="licensee"]')).to.equal('Globex Corporation');
    expect(await text('[data-testid="state"]')).to.equal('Active');
    expect(await text('[data-testid="key-history"] .history-item.is-current')).to.contain('Globex Corporation');
    expect(web.status().license?.licensee).to.equal('Globex Corporation');
  });

  it('paste a bad key: the error shows next to the form, the old license stays, the paste is kept', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech' }));
    await open();
    const good = await web.issue({ licensee: 'Initrode' });
    const damaged = `${good.slice(0, 40)}X${good.slice(41)}`; // one character changed inside the header
    await page.getByLabel('License key').fill(damaged);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set license' }).click()]);
    const error = page.locator('[data-testid="license-error"]');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).to.match(/^KEY_/);
    expect((await error.textContent())!.length).to.be.greaterThan(20);
    expect(await page.getByLabel('License key').inputValue()).to.equal(damaged);
    expect(await text('[data-testid="licensee"]')).to.equal('Initech');
    expect(web.status().license?.licensee).to.equal('Initech');
  });

  it('move the threshold with the number field, with JavaScript off', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await context.close();
    context = await browser.newContext({ javaScriptEnabled: false });
    page = await context.newPage();
    await open();
    await page.getByLabel('Notify at').fill('70');
    await Promise.all([page.waitForURL(/done=threshold/), page.getByRole('button', { name: 'Save threshold' }).click()]);
    expect(await text('[data-testid="flash"]')).to.equal('The threshold is saved.');
    expect(await page.getByLabel('Notify at').inputValue()).to.equal('70');
    expect(web.status().loc.threshold).to.equal(70);
  });

  it('move the threshold by dragging the marker on the gauge', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await web.recordAnalysis('backend', 'main', 30_000);
    await open();
    const svg = page.locator('.gauge-svg');
    const box = (await svg.boundingBox())!;
    const handle = (await page.locator('[data-testid="threshold-handle"]').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, handle.y + handle.height / 2, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.4, handle.y + handle.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.getByText('Threshold saved: 40%').waitFor();
    expect(await page.getByLabel('Notify at').inputValue()).to.equal('40');
    expect(await page.locator('[data-testid="threshold-handle"]').getAttribute('aria-valuenow')).to.equal('40');
    expect(web.status().loc.threshold).to.equal(40);
    await page.reload();
    expect(await page.getByLabel('Notify at').inputValue()).to.equal('40');
  });

  it('move the threshold marker with the keyboard (arrow keys on the focused slider)', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await open();
    await page.getByRole('slider', { name: 'Threshold' }).focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    await page.getByText('Threshold saved: 85%').waitFor();
    expect(web.status().loc.threshold).to.equal(85);
  });

  it('the copy button puts the server ID on the clipboard', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.origin });
    await open();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(web.serverId);
  });

  it('shows the STAGING banner on a staging license', async () => {
    await web.setLicense(await web.issue({ type: 'staging', licensee: 'Acme Staging' }));
    await open();
    const banner = page.locator('[data-banner="staging"]');
    expect(await banner.isVisible()).to.equal(true);
    expect(await banner.locator('.banner-title').textContent()).to.equal('STAGING');
    expect(await text('[data-testid="license-type"]')).to.equal('staging');
  });
});
