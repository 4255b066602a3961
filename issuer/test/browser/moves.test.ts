/**
 * The portal's Moves page (SPEC 22) in Chromium: an engineer imports a real move request (a
 * database copied to another place) beyond the subscription's move budget, sees it wait with its
 * reason, approves it and gets the key for the new server ID, which the moved instance takes.
 * axe-core finds no serious or critical violation at 1440 and 390 px, light and dark.
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../../../test/helpers/browser.js';
import { seriousViolations } from '../../../test/helpers/axe.js';
import { DbFactory } from '../../../test/helpers/dbs.js';
import { copyDatabase } from '../../../test/helpers/copy-db.js';
import { Managers, testClock } from '../../../test/helpers/managers.js';
import type { TestVendor } from '../../../test/helpers/license-keys.js';
import { startReceiver, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.js';
import { PASSWORD, startPortal, type PortalFixture } from '../integration/portal/fixture.js';
import { vendorKeys } from '../integration/registry/helpers.js';

describe('browser: the portal Moves page (SPEC 22)', function () {
  this.timeout(120_000);
  const dbs = new DbFactory('sqlite');
  const managers = new Managers();
  const clock = testClock('2026-11-20T18:00:00Z');
  let browser: Browser;
  let fixture: PortalFixture;
  let hook: WebhookReceiver;
  let request: string;
  let subscription: string;
  let newServerId: string;
  let moved: Awaited<ReturnType<Managers['start']>>;

  before(async function () {
    requireChromium(this);
    hook = await startReceiver();
    fixture = await startPortal(await dbs.fresh('mvp'), { now: clock.now, webhookUrl: hook.url });
    const pair = await vendorKeys();
    const vendor = { pair } as TestVendor;
    const { registry } = fixture;
    const account = await registry.addCustomer({ company: 'Northwind Traders', accountId: 'N1' });
    const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-06-30', users: 40 });
    subscription = sub.id;
    await registry.setMoveBudget({ subscription: sub.id, perYear: 0, actor: 'admin' }); // every move is reviewed
    const prodDb = await dbs.fresh();
    const prod = await managers.start(prodDb, vendor, clock);
    await prod.setLicense((await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: prod.serverId })).key);
    await registry.importUsageReport((await prod.usageReport()).text);
    await managers.stopAll();
    moved = await managers.start(await copyDatabase(dbs, prodDb), vendor, clock);
    newServerId = moved.serverId;
    request = (await moved.moveRequest({ reason: 'Restored from backup onto the new SAN' })).text;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
    await hook?.stop();
    await managers.stopAll();
    await dbs.dropAll();
  });

  async function check(page: Page, what: string): Promise<void> {
    expect(await seriousViolations(page), what).to.deep.equal([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${what}: sideways scroll`).to.be.at.most(0);
  }

  it('imports a move beyond the budget, shows it waiting with its reason, and an engineer approves it', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${fixture.url}/login?next=%2Fmoves`);
    await page.getByLabel('Name').fill('engineer');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/moves$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.getByRole('link', { name: 'Moves' }).getAttribute('aria-current')).to.equal('page');
    await check(page, 'Moves, empty');

    await page.getByRole('textbox', { name: 'Move request' }).fill(request);
    await Promise.all([page.waitForURL(/\/moves$/), page.getByRole('button', { name: 'Import move request' }).click()]);
    expect(await page.getByTestId('flash').textContent())
      .to.contain('The move waits for an engineer')
      .and.contain('Beyond the move budget');
    expect(await page.getByTestId('move-reason').textContent()).to.equal('Restored from backup onto the new SAN');
    for (const width of [1440, 390]) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme: scheme });
        await check(page, `Moves with a waiting move, ${scheme} ${width} px`);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await Promise.all([page.waitForURL(/\/licenses\//), page.getByRole('button', { name: /Approve the move of Northwind_Traders-N1/ }).click()]);
    expect(await page.getByTestId('flash').textContent()).to.contain(`Move approved: the key for ${newServerId} is issued`);
    const key = (await fixture.registry.moves({ subscription }))[0]!.lid!;
    const issued = await fixture.registry.getLicense(key);
    await moved.setLicense(issued.key);
    expect(moved.status()).to.deep.include({ state: 'active' });
    expect(moved.status().license!.serverId).to.equal(newServerId);

    await page.goto(`${fixture.url}/subscriptions/${subscription}`);
    expect(await page.getByTestId('move-budget').textContent()).to.equal('0');
    expect(await page.getByTestId('timeline').textContent())
      .to.contain('move approved')
      .and.contain('move waiting — Restored from backup onto the new SAN');
    await check(page, 'subscription with moves');
    await context.close();
    for (let i = 0; i < 100 && hook.accepted().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(
      hook
        .accepted()
        .map((r) => JSON.parse(r.body).text as string)
        .filter((t) => t.startsWith('Move')),
    ).to.have.length(2);
  });
});
