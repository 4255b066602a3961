/**
 * The License Manager page in a real Chromium, against a real license manager on SQLite: what an
 * administrator does with it, by mouse and keyboard. Ends with the screenshot of the README.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { startWeb, type WebFixture } from '../integration/web/fixture.js';

describe('browser: the License Manager page', () => {
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

  it('paste a key, preview it, then Apply: it becomes the current license, the outcome in view and focused', async () => {
    await open();
    expect(await text('[data-testid="state"]')).to.equal('No license');
    const key = await web.issue({ licensee: 'Globex Corporation', features: ['sso'] });
    await page.getByLabel('License key').fill(`-----BEGIN LICENSE KEY-----\n${key}\n-----END LICENSE KEY-----`);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'preview');
    expect(await text('[data-testid="preview-licensee"]')).to.equal('Globex Corporation');
    expect(web.status().state).to.equal('none'); // nothing applied yet
    await Promise.all([page.waitForURL(/done=license/), page.getByRole('button', { name: 'Apply license' }).click()]);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'flash');
    expect(await text('[data-testid="flash"]')).to.equal('The new license is set: Globex Corporation (production, valid until 31 December 2027).');
    expect(await page.locator('[data-testid="flash"]').evaluate((el) => el.getBoundingClientRect().top)).to.be.within(-1, 200);
    expect(await text('[data-testid="licensee"]')).to.equal('Globex Corporation');
    expect(await text('[data-testid="state"]')).to.equal('Active');
    expect(await text('[data-testid="key-history"] .history-item.is-current')).to.contain('Globex Corporation');
    expect(web.status().license?.licensee).to.equal('Globex Corporation');
  });

  it('preview a key that takes features away, then leave: the warning shows, nothing changes', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech', features: ['sso', 'security-reports'], loc: 200_000 }));
    await open();
    await page.getByLabel('License key').fill(await web.issue({ licensee: 'Initech', features: ['sso'], loc: 100_000 }));
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
    const warning = page.locator('[data-testid="preview-warning"]');
    expect(await warning.isVisible()).to.equal(true);
    expect(await warning.textContent())
      .to.contain('Features turned off: security-reports')
      .and.contain('Lower limit of lines of code: 100,000 instead of 200,000');
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Cancel' }).click()]);
    expect(await page.locator('[data-testid="preview"]').count()).to.equal(0);
    expect(web.status().license?.features).to.deep.equal(['sso', 'security-reports']);
    expect(await web.lm.keyHistory()).to.have.length(1);
  });

  it('upload a .key file: it is previewed like a pasted key, then applied', async () => {
    await open();
    const key = await web.issue({ licensee: 'File Upload Inc' });
    await page.getByLabel('Or upload the key file (.key or .txt)').setInputFiles({
      name: 'file-upload.key',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(`-----BEGIN LICENSE KEY-----\n${key}\n-----END LICENSE KEY-----\n`),
    });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
    expect(await text('[data-testid="preview-licensee"]')).to.equal('File Upload Inc');
    await Promise.all([page.waitForURL(/done=license/), page.getByRole('button', { name: 'Apply license' }).click()]);
    expect(web.status().license?.licensee).to.equal('File Upload Inc');
  });

  it('preview without JavaScript is a server-rendered step, and Apply works', async () => {
    await context.close();
    context = await browser.newContext({ javaScriptEnabled: false });
    page = await context.newPage();
    await open();
    await page.getByLabel('License key').fill(await web.issue({ licensee: 'No Script GmbH' }));
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
    expect(page.url()).to.match(/\/license\/preview#outcome$/);
    expect(await text('[data-testid="preview-licensee"]')).to.equal('No Script GmbH');
    await Promise.all([page.waitForURL(/done=license/), page.getByRole('button', { name: 'Apply license' }).click()]);
    expect(await text('[data-testid="flash"]')).to.contain('The new license is set: No Script GmbH');
    expect(web.status().license?.licensee).to.equal('No Script GmbH');
  });

  it('Make current on an older, better key; Retire the other, then undo', async () => {
    await web.setLicense(await web.issue({ licensee: 'Better Key Co', features: ['sso', 'security-reports'] }));
    await web.setLicense(await web.issue({ licensee: 'Worse Key Co', features: ['sso'] }));
    await open();
    await Promise.all([page.waitForURL(/done=activated/), page.getByRole('button', { name: /^Make current: Better Key Co/ }).click()]);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'flash');
    expect(await text('[data-testid="flash"]')).to.contain('Better Key Co (production, valid until 31 December 2027) is now the current license.');
    expect(web.lm.hasFeature('security-reports')).to.equal(true);
    await Promise.all([page.waitForURL(/done=retired/), page.getByRole('button', { name: /^Retire: Worse Key Co/ }).click()]);
    expect(await text('[data-testid="flash"]')).to.contain('Worse Key Co (production, valid until 31 December 2027) is retired');
    expect(await text('[data-testid="key-history"]')).to.contain('Retired');
    await Promise.all([page.waitForURL(/done=activated/), page.getByRole('button', { name: 'Undo: make it current again' }).click()]);
    expect(web.status().license?.licensee).to.equal('Worse Key Co');
    expect((await web.lm.keyHistory()).every((k) => !k.retired)).to.equal(true);
  });

  it("copy a stored key's text", async () => {
    const key = await web.issue({ licensee: 'Copy Me Ltd' });
    await web.setLicense(key);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.origin });
    await open();
    await page.getByRole('button', { name: /^Copy key / }).click();
    await page.getByText('Key copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(key);
  });

  it('paste a bad key: the error shows next to the form, the old license stays, the paste is kept', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech' }));
    await open();
    const good = await web.issue({ licensee: 'Initrode' });
    const damaged = `${good.slice(0, 40)}X${good.slice(41)}`; // one character changed inside the header
    await page.getByLabel('License key').fill(damaged);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview license' }).click()]);
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
    const lineBefore = Number(await page.locator('.chart-threshold').getAttribute('y1'));
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, handle.y + handle.height / 2, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.4, handle.y + handle.height / 2, { steps: 8 });
    expect(await text('[data-testid="threshold-status"]')).to.equal('Threshold: 40% (release to save)');
    expect(web.status().loc.threshold).to.equal(90); // shown, not saved, while the button is held
    await page.mouse.up();
    await page.getByText('Threshold saved: 40%').waitFor();
    expect(await page.getByLabel('Notify at').inputValue()).to.equal('40');
    expect(await page.locator('[data-testid="threshold-handle"]').getAttribute('aria-valuenow')).to.equal('40');
    expect(web.status().loc.threshold).to.equal(40);
    // the chart's threshold line moved with the marker: 40% of the limit sits lower than 90%
    expect(Number(await page.locator('.chart-threshold').getAttribute('y1'))).to.be.greaterThan(lineBefore);
    await page.reload();
    expect(await page.getByLabel('Notify at').inputValue()).to.equal('40');
  });

  it('move the threshold marker with the keyboard (arrow keys on the focused slider)', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await open();
    const line = () => page.locator('.chart-threshold').getAttribute('y1').then(Number);
    const at90 = await line();
    await page.getByRole('slider', { name: 'Threshold' }).focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    // the value shows first; nothing is saved until Enter
    expect(await text('[data-testid="threshold-status"]')).to.contain('Threshold: 85% (press Enter to save');
    expect(web.status().loc.threshold).to.equal(90);
    expect(await line()).to.be.greaterThan(at90); // the chart's threshold line follows the marker
    await page.keyboard.press('Enter');
    await page.getByText('Threshold saved: 85%').waitFor();
    expect(web.status().loc.threshold).to.equal(85);
  });

  it('a stray click on the gauge moves and saves nothing', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await open();
    const box = (await page.locator('.gauge-svg').first().boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.2, box.y + box.height / 2);
    expect(await page.locator('[data-testid="threshold-handle"]').getAttribute('aria-valuenow')).to.equal('90');
    expect(await text('[data-testid="threshold-status"]')).to.equal('');
    expect(web.status().loc.threshold).to.equal(90);
  });

  it('reads the history chart by hover and by keyboard, and has the same values in a table', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    const start = web.clock.now.getTime();
    for (let day = 0; day < 5; day++) {
      web.clock.now = new Date(start + day * 86_400_000);
      await web.recordAnalysis('backend', 'main', 10_000 + day * 1_000);
      await web.lm.runJob();
    }
    await open();
    const chart = page.locator('[data-testid="history-chart"]');
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    expect(await text('[data-testid="chart-readout"]')).to.equal('27 November 2026: 14,000 lines of code');
    await chart.focus();
    await page.keyboard.press('ArrowLeft');
    expect(await text('[data-testid="chart-readout"]')).to.equal('26 November 2026: 13,000 lines of code');
    const rows = await page.locator('[data-testid="history-table"] tbody tr').allTextContents();
    expect(rows).to.have.length(5);
    expect(rows[0]).to.equal('23 November 202610,000');
    const labels = await page.locator('.chart-label').evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
    for (const size of labels) expect(size).to.be.at.least(11);
  });

  it('brings the outcome of an action to the top of the viewport and moves focus to it', async () => {
    await web.setLicense(await web.issue({ loc: 100_000 }));
    await context.close();
    context = await browser.newContext({ viewport: { width: 390, height: 700 } });
    page = await context.newPage();
    await open();
    await page.getByLabel('Notify at').fill('75');
    await Promise.all([page.waitForURL(/done=threshold/), page.getByRole('button', { name: 'Save threshold' }).click()]);
    const outcome = page.locator('[data-testid="flash"]');
    await outcome.waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'flash');
    const top = await outcome.evaluate((el) => el.getBoundingClientRect().top);
    expect(top).to.be.within(-1, 700 - 40);
    expect(await text('[data-testid="flash"]')).to.equal('The threshold is saved.');
  });

  it('the copy button puts the server ID on the clipboard', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.origin });
    await open();
    await page.getByRole('button', { name: 'Copy the server ID' }).click();
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
