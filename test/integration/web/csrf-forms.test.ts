import { expect } from 'chai';
import { messages } from '../../../lib/errors.js';
import { FormClient, servedRoutes, startWeb, type WebFixture } from './fixture.js';

/**
 * Every form address the page posts to — read from the router, so a new form is covered the day
 * it lands — refuses a post without a valid CSRF token, as a plain form and as a multipart upload,
 * and changes nothing (no audit entry, same license, same key states).
 */
describe('web: every page form checks its CSRF token', () => {
  let web: WebFixture;
  let current: string;
  let older: string;
  before(async () => {
    web = await startWeb();
    older = (await web.setLicense(await web.issue({ licensee: 'Older Ltd', expires: '2027-06-30' }))).license!.lid;
    current = (await web.setLicense(await web.issue({ licensee: 'Current Ltd' }))).license!.lid;
  });
  after(() => web.close());

  const formPosts = () =>
    servedRoutes(web.lm.router())
      .filter((r) => r.startsWith('POST ') && !r.startsWith('POST /api/'))
      .map((r) => r.slice(5));

  it('the page has the forms this test expects (the route list is read, not empty)', () => {
    expect(formPosts()).to.include.members(['/license', '/license/preview', '/keys/activate', '/keys/retire', '/loc-threshold', '/test-email', '/revocations']);
  });

  it('a post without a token, with a forged one, or with a token but no cookie is 403 CSRF_REJECTED on each, and nothing changes', async () => {
    const browser = new FormClient(web.base);
    const { token } = await browser.get();
    const stranger = new FormClient(web.base);
    const fields = { key: await web.issue({ licensee: 'Forged Ltd' }), lid: current, percent: '10', list: 'x.y.z' };
    const before = { audit: await web.lm.auditLog({ limit: 50 }), status: web.status(), keys: await web.lm.keyHistory() };
    for (const path of formPosts()) {
      const multipart = new FormData();
      for (const [k, v] of Object.entries(fields)) multipart.set(k, v);
      multipart.set('keyfile', new Blob([fields.key]), 'forged.key');
      const attempts: [string, () => Promise<{ res: Response; html: string }>][] = [
        ['no token', () => browser.post(path, fields)],
        ['forged token', () => browser.post(path, { ...fields, _csrf: 'A'.repeat(token.length) })],
        ['no cookie', () => stranger.post(path, { ...fields, _csrf: token })],
        [
          'multipart, no token',
          async () => {
            const res = await fetch(web.base + path, { method: 'POST', body: multipart, headers: { cookie: browser.cookieHeader }, redirect: 'manual' });
            return { res, html: await res.text() };
          },
        ],
      ];
      for (const [what, attempt] of attempts) {
        const { res, html } = await attempt();
        expect(res.status, `${path}: ${what}`).to.equal(403);
        expect(html, `${path}: ${what}`).to.contain('data-code="CSRF_REJECTED"');
        expect(html).to.contain(messages.CSRF_REJECTED);
        expect(html, 'the refusal does not show the key back').not.to.contain(fields.key);
      }
    }
    await web.refresh();
    expect(await web.lm.auditLog({ limit: 50 })).to.deep.equal(before.audit);
    expect(web.status().license!.lid).to.equal(before.status.license!.lid);
    expect(web.status().loc.threshold).to.equal(before.status.loc.threshold);
    expect(await web.lm.keyHistory()).to.deep.equal(before.keys);
    expect(web.smtp.to('admin@host.example')).to.deep.equal([]);
    expect(older).to.not.equal(current);
  });
});
