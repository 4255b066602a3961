import { expect } from 'chai';
import { FormClient, serveMemoryPort, startWeb, type WebFixture } from './fixture.js';

const DAY = 86_400_000;

describe('web: what the page shows', () => {
  let web: WebFixture;
  let browser: FormClient;
  beforeEach(async () => {
    web = await startWeb();
    browser = new FormClient(web.base);
  });
  afterEach(() => web.close());

  it('shows the server ID, the license, features, gauge, usage and the request link', async () => {
    await web.setLicense(await web.issue({ licensee: 'Acme Corp', edition: 'datacenter', features: ['sso', 'audit-log'], loc: 10_000, expires: '2027-06-30' }));
    await web.recordAnalysis('backend', 'main', 4_200);
    const { res, html } = await browser.get();
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-security-policy')).to.contain("script-src 'self'");
    expect(html).to.contain(`data-testid="server-id">${web.serverId}<`);
    expect(html).to.contain('data-testid="licensee">Acme Corp<');
    expect(html).to.contain('<dd class="capitalize">datacenter</dd>'); // capitalised by CSS
    expect(html).to.contain('data-testid="valid-until">30 June 2027<');
    expect(html).to.contain('data-testid="license-source">Set on this page (or the API or CLI)<');
    expect(html).to.match(/<li class="chip">sso<\/li><li class="chip">audit-log<\/li>/);
    expect(html).to.contain('data-testid="loc-used">4,200<');
    expect(html).to.contain('data-testid="loc-percent">42%<');
    expect(html).to.match(/<th scope="row">backend<\/th>/);
    const mailto = /href="(mailto:[^"]+)" data-testid="request-license"/.exec(html)?.[1];
    expect(mailto).to.match(/^mailto:support@vendor\.example\?subject=/);
    const body = decodeURIComponent(new URL(mailto!.replace(/&amp;/g, '&')).searchParams.get('body') ?? '');
    expect(body)
      .to.contain(`Server ID: ${web.serverId}`)
      .and.contain('Code Scanner 3.2.1')
      .and.contain('Edition: datacenter')
      .and.contain(`Current license ID: ${web.status().license!.lid}`);
    // SPEC 21: the vendor can pin the instance key from the request, before the first usage report
    expect(body).to.contain(`Instance key ID: ${web.lm.instanceKeyId}\r\n`);
    expect(/data-testid="request-text">([^<]*)</.exec(html)?.[1]).to.contain(`Server ID: ${web.serverId}\nInstance key ID: ${web.lm.instanceKeyId}\n`);
  });

  it('escapes every value: a licensee named <script>alert(1)</script> is text, not a script', async () => {
    const evil = '<script>alert(1)</script>';
    await web.setLicense(await web.issue({ licensee: evil, features: [`"><img src=x onerror=alert(2)>`] }));
    await web.recordAnalysis(`<svg onload=alert(3)>`, `'"><b>`, 10);
    const { html } = await browser.get();
    expect(html).not.to.contain(evil);
    expect(html).not.to.contain('<img src=x');
    expect(html).not.to.contain('<svg onload');
    expect(html).not.to.contain(`'"><b>`);
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script/g)).to.have.length(1); // only the page's own script tag
  });

  it('shows the STAGING banner for a staging license, and not for a production one', async () => {
    await web.setLicense(await web.issue({ type: 'production' }));
    expect((await browser.get()).html).not.to.contain('data-banner="staging"');
    await web.setLicense(await web.issue({ type: 'staging' }));
    const { html } = await browser.get();
    expect(html).to.match(/data-banner="staging">\s*<p class="banner-title">STAGING<\/p>/);
  });

  it('shows a banner for expiring, grace and expired, as the clock moves', async () => {
    await web.setLicense(await web.issue({ expires: '2027-03-31' })); // exp = 1 Apr 2027 00:00 UTC
    const seen = async (at: string) => {
      web.clock.now = new Date(at);
      await web.refresh();
      return /data-banner="(expiring|grace|expired)"/.exec((await browser.get()).html)?.[1] ?? 'none';
    };
    expect(await seen('2026-11-23T12:00:00Z')).to.equal('none');
    expect(await seen('2027-02-15T00:00:00Z')).to.equal('expiring');
    expect(await seen('2027-04-05T00:00:00Z')).to.equal('grace');
    expect(await seen(new Date(Date.parse('2027-04-01T00:00:00Z') + 14 * DAY).toISOString())).to.equal('expired');
  });

  it('reads dates by one convention: valid until the last day (exp − 1 s), days left through it, grace through its last day', async () => {
    await web.setLicense(await web.issue({ expires: '2027-03-31', grace: 14 })); // exp = 1 April 2027 00:00 UTC
    web.clock.now = new Date('2027-03-31T23:00:00Z');
    await web.refresh();
    let html = (await browser.get()).html;
    expect(html).to.contain('data-testid="valid-until">31 March 2027<');
    expect(html).to.contain('(1 day left (the last day))');
    expect(html).not.to.contain('1 April 2027');
    web.clock.now = new Date('2027-04-03T10:00:00Z');
    await web.refresh();
    html = (await browser.get()).html;
    expect(html).to.contain('commercial features stay on through 14 April 2027, 12 days');
    expect(html).to.match(/data-banner="grace"[\s\S]*?Paste a new key[\s\S]*?Request a new license/);
  });

  it('puts the worse of the license state and the limit state in the header badge, and STAGING beside it', async () => {
    await web.setLicense(await web.issue({ loc: 1_000 }));
    await web.recordAnalysis('big', 'main', 1_000);
    let html = (await browser.get()).html;
    expect(/data-testid="state">([^<]+)</.exec(html)?.[1]).to.equal('Lines of code limit reached');
    await web.setLicense(await web.issue({ type: 'staging', loc: 100_000 }));
    html = (await browser.get()).html;
    expect(/data-testid="state">([^<]+)</.exec(html)?.[1]).to.equal('Active');
    expect(html).to.contain('data-testid="staging-badge">STAGING<');
  });

  it('shows users in use against the limit beside lines of code, and an exceeded user limit in the header badge', async () => {
    await web.setLicense(await web.issue({ users: 50, loc: 100_000 }));
    await web.lm.reportUsers(30);
    let html = (await browser.get()).html;
    expect(html).to.contain('data-testid="users-used">30<');
    expect(html).to.contain('data-testid="users-limit">50<');
    expect(html).to.contain('(60%)');
    await web.lm.reportUsers(51);
    html = (await browser.get()).html;
    expect(/data-testid="state">([^<]+)</.exec(html)?.[1]).to.equal('User limit exceeded');
  });

  it('redirects a GET of a form address to the page (a reload after a post does not post again)', async () => {
    for (const path of ['/license', '/loc-threshold', '/test-email']) {
      const { res } = await browser.get(path);
      expect([path, res.status, res.headers.get('location')]).to.deep.equal([path, 303, `${new URL(web.base).pathname}/`]);
    }
  });

  it('lists a dormant staging key among the stored keys without making this instance staging or licensed (SPEC 5.3)', async () => {
    const stagingId = `FFFFFFFF-${web.serverId.split('-')[1]}`; // the staging copy of this database
    await web.setLicense(await web.issue({ type: 'staging', serverId: stagingId }));
    expect(web.status().state).to.equal('none');
    const { html } = await browser.get();
    expect(html).to.contain(stagingId);
    expect(html).to.contain('Dormant (for the staging copy)');
    expect(html).not.to.contain('data-banner="staging"');
    expect(html).not.to.contain('data-banner="wrong_server"');
  });

  it('shows the soft-cap overage banner under true-up, the limit banner without it', async () => {
    await web.setLicense(await web.issue({ loc: 1_000, tags: ['true-up'] }));
    await web.recordAnalysis('big', 'main', 1_500);
    let html = (await browser.get()).html;
    expect(html).to.contain('data-banner="loc_soft_cap_overage"');
    expect(html).to.contain('500 over the limit of 1,000');
    await web.setLicense(await web.issue({ loc: 1_000 }));
    html = (await browser.get()).html;
    expect(html).to.contain('data-banner="loc_limit_reached"');
    expect(html).not.to.contain('data-banner="loc_soft_cap_overage"');
  });

  it('says when no license is installed and offers the form', async () => {
    const { html } = await browser.get();
    expect(html).to.contain('data-banner="none"');
    expect(html).to.contain('<textarea id="license-key" name="key"');
    expect(html).to.contain('data-testid="state">No license<');
  });

  it('serves its own CSS and JS (nothing from another origin)', async () => {
    const css = await fetch(`${web.base}/assets/license-manager.css`);
    expect(css.headers.get('content-type')).to.match(/^text\/css/);
    const js = await fetch(`${web.base}/assets/license-manager.js`);
    expect(js.headers.get('content-type')).to.match(/^text\/javascript/);
    const { html } = await browser.get();
    expect(html).not.to.match(/(src|href)="https?:/);
  });

  it('still shows the page when a section cannot load, and logs why', async () => {
    const logged: string[] = [];
    const app = await serveMemoryPort((port) => {
      port.jobs.health = async () => {
        throw new Error('job tables missing');
      };
      port.logger = { info() {}, warn() {}, error: (m, d) => logged.push(`${m} ${JSON.stringify(d)}`) };
    });
    const res = await fetch(`${app.base}/`);
    await app.close();
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.contain('The health of the background job could not be loaded.');
    expect(html).not.to.contain('job tables missing');
    expect(logged.join()).to.contain('job tables missing');
  });
});
