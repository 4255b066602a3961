/**
 * Issue 23.7, words on screen: a key for any server says so (not "Issued for *"), no user limit
 * is not "0 users in use of Unlimited licensed", the key box shows what our keys look like (no
 * armour lines), and "Send test email" is off, with the reason, while mail is not configured.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expect } from 'chai';
import { FormClient, startWeb, type WebFixture } from './fixture.js';
import { DbFactory } from '../../helpers/dbs.js';
import { testVendor } from '../../helpers/license-keys.js';
import { createLicenseManager } from '../../../lib/index.js';

describe('web: words on screen (issue 23.7)', () => {
  let web: WebFixture;
  beforeEach(async () => {
    web = await startWeb();
  });
  afterEach(() => web.close());

  it('says a key for any server is for any server, no user limit in words, and shows a key placeholder without armour', async () => {
    await web.setLicense(await web.issue({ serverId: '*', type: 'trial', users: undefined }));
    await web.lm.reportUsers(5);
    const { html } = await new FormClient(web.base).get();
    expect(html)
      .to.contain('<dt>Issued for</dt><dd>Any server (not bound to one)</dd>')
      .and.not.match(/Issued for<\/dt><dd[^>]*>\*</);
    expect(html).to.not.contain('-----BEGIN');
    expect(html).to.contain('placeholder="eyJhbGciOiJFZERTQSIs… (the key from your vendor: three parts separated by dots)"');
    expect(html).to.contain('data-testid="users-gauge"');
    expect(html).to.contain('users in use <span data-testid="users-limit">(no user limit)</span>').and.not.contain('Unlimited licensed');
    expect(html).to.match(/<button type="submit" class="button">Send test email<\/button>/); // mail is configured here
  });
});

describe('web: Send test email without mail (issue 23.7)', () => {
  const dbs = new DbFactory('sqlite');
  after(() => dbs.dropAll());

  it('is disabled, and says mail is not configured', async () => {
    const vendor = await testVendor();
    const db = await dbs.fresh();
    const lm = createLicenseManager({
      db: db.config,
      publicKeys: [vendor.pair.publicJwk],
      productName: 'Scanner',
      baseUrl: 'http://localhost/admin/license',
      authorize: () => true,
      getGlobalAdmins: async () => [{ name: 'admin', email: 'admin@host.example' }],
    });
    await lm.start();
    const app = express();
    app.use('/admin/license', lm.router());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      await lm.reportUsers(3);
      const html = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license`)).text();
      expect(html).to.match(/<button type="submit" class="button" disabled aria-describedby=test-email-off>Send test email<\/button>/);
      expect(html).to.contain('Mail is not configured: the host passes mail (an SMTP URL) to the License Manager first.');
    } finally {
      await new Promise((r) => server.close(r));
      await lm.stop();
    }
  });
});
