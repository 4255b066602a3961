import { expect } from 'chai';
import { messages } from '../../../lib/errors.js';
import { ADMIN_EMAIL, FormClient, MOUNT, startWeb, type WebFixture } from './fixture.js';

/** The text inside the Set new license textarea, as the browser would show it. */
function textarea(html: string): string {
  const m = /<textarea id="license-key"[^>]*>([\s\S]*?)<\/textarea>/.exec(html);
  return (m?.[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('web: page forms work without JavaScript', () => {
  let web: WebFixture;
  let browser: FormClient;
  beforeEach(async () => {
    web = await startWeb();
    browser = new FormClient(web.base);
  });
  afterEach(() => web.close());

  it('Set new license: a good key is set, then the page redirects (303) back with a confirmation', async () => {
    const { token } = await browser.get();
    const key = await web.issue({ licensee: 'Globex' });
    const { res } = await browser.post('/license', { _csrf: token, key: `-----BEGIN LICENSE KEY-----\n${key.match(/.{1,64}/g)!.join('\n')}\n-----END LICENSE KEY-----\n` });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal(`${MOUNT}/?done=license#outcome`);
    expect(web.status().license?.licensee).to.equal('Globex');
    const after = await browser.get('/?done=license');
    expect(after.html).to.contain('The new license is set.');
    expect(after.html).to.contain('Globex');
  });

  it('a refused key keeps the current license, says the sentence of its code next to the form, and keeps the paste', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech' }));
    const { token } = await browser.get();
    const pasted = '  eyJhbGciOiJFZERTQSJ9.not-a-key <b>"pasted"</b>\n';
    const { res, html } = await browser.post('/license', { _csrf: token, key: pasted });
    expect(res.status).to.equal(422);
    expect(web.status().license?.licensee).to.equal('Initech');
    expect(html).to.match(/data-code="KEY_[A-Z_]+" data-testid="license-error"/);
    expect(textarea(html)).to.equal(pasted);
    expect(html).not.to.contain('<b>"pasted"</b>');
    expect(html).to.contain('Initech');

    const other = await web.issue({ serverId: 'FFFFFFFF-ABCDEFGHIJKLMNOPQRST' });
    const mismatch = await browser.post('/license', { _csrf: token, key: other });
    expect(mismatch.res.status).to.equal(422);
    expect(mismatch.html).to.contain('data-code="SERVER_ID_MISMATCH"');
    const sentence = /data-testid="license-error">([^<]*)</.exec(mismatch.html)?.[1];
    expect(sentence).to.contain('FFFFFFFF-ABCDEFGHIJKLMNOPQRST').and.contain(web.serverId);
    expect(textarea(mismatch.html)).to.equal(other);
    expect(web.status().license?.licensee).to.equal('Initech');
  });

  it('an empty paste is refused with the validation sentence, nothing set', async () => {
    const { token } = await browser.get();
    const { res, html } = await browser.post('/license', { _csrf: token, key: '   ' });
    expect(res.status).to.equal(400);
    expect(html).to.contain('data-code="VALIDATION_FAILED"');
    expect(web.status().state).to.equal('none');
  });

  it('threshold number field: saves a whole percent, refuses the rest next to the field keeping what was typed', async () => {
    const { token } = await browser.get();
    const ok = await browser.post('/loc-threshold', { _csrf: token, percent: '75' });
    expect(ok.res.status).to.equal(303);
    expect(web.status().loc.threshold).to.equal(75);
    expect((await browser.get('/?done=threshold')).html).to.contain('The threshold is saved.');
    for (const typed of ['0', '101', '7.5', 'eighty', '']) {
      const bad = await browser.post('/loc-threshold', { _csrf: token, percent: typed });
      expect(bad.res.status, typed).to.equal(400);
      expect(bad.html).to.contain('The threshold must be a whole number of percent from 1 to 100.');
      expect(bad.html).to.contain(`name="percent" type="number" inputmode="numeric" min="1" max="100" step="1"\n             value="${typed}"`);
    }
    expect(web.status().loc.threshold).to.equal(75);
  });

  it('Send test email posts, sends, and redirects with how many administrators it reached', async () => {
    const { token } = await browser.get();
    const { res } = await browser.post('/test-email', { _csrf: token });
    expect(res.status).to.equal(303);
    expect(web.smtp.to(ADMIN_EMAIL)).to.have.length(1);
    expect((await browser.get(`/?${res.headers.get('location')!.split('?')[1]!.split('#')[0]}`)).html).to.contain('A test email was sent to 1 administrator.');
  });

  it('a form body over 64 KiB is refused with 413 and a page that says so, nothing set', async () => {
    const { token } = await browser.get();
    const { res, html } = await browser.post('/license', { _csrf: token, key: 'k'.repeat(70 * 1024) });
    expect(res.status).to.equal(413);
    expect(html).to.contain('The request body is larger than 64 KiB.');
    expect(web.status().state).to.equal('none');
  });

  it('works mounted at the root too: links, redirects and the cookie path follow the mount', async () => {
    const express = (await import('express')).default;
    const app = express().use(web.lm.router());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const root = new FormClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      const { html, token, res } = await root.get('/');
      expect(html).to.contain('href="/assets/license-manager.css"');
      expect(res.headers.getSetCookie().join()).to.contain('Path=/;');
      const post = await root.post('/loc-threshold', { _csrf: token, percent: '60' });
      expect(post.res.headers.get('location')).to.equal('/?done=threshold#outcome');
      expect(web.status().loc.threshold).to.equal(60);
    } finally {
      server.close();
    }
  });

  describe('CSRF', () => {
    it('refuses a form without a token, with a wrong token, or without the cookie (403 CSRF_REJECTED), changing nothing', async () => {
      const { token } = await browser.get();
      const key = await web.issue({ licensee: 'Forged' });
      const stranger = new FormClient(web.base); // no cookie: another site's form
      const attempts = [
        () => browser.post('/license', { key }),
        () => browser.post('/license', { key, _csrf: 'x'.repeat(token.length) }),
        () => browser.post('/license', { key, _csrf: token.slice(0, -1) }),
        () => stranger.post('/license', { key, _csrf: token }),
        () => browser.post('/loc-threshold', { percent: '10' }),
        () => stranger.post('/loc-threshold', { percent: '10', _csrf: token }),
        () => browser.post('/test-email', {}),
      ];
      for (const attempt of attempts) {
        const { res, html } = await attempt();
        expect(res.status).to.equal(403);
        expect(html).to.contain('data-code="CSRF_REJECTED"');
        expect(html).to.contain(messages.CSRF_REJECTED);
      }
      expect(web.status().state).to.equal('none');
      expect(web.status().loc.threshold).to.equal(90);
      expect(web.smtp.to(ADMIN_EMAIL)).to.deep.equal([]);
    });

    it("one browser's token does not pass with another browser's cookie", async () => {
      const other = new FormClient(web.base);
      const mine = await browser.get();
      await other.get();
      const { res } = await other.post('/loc-threshold', { _csrf: mine.token, percent: '10' });
      expect(res.status).to.equal(403);
    });

    it('the cookie is HttpOnly, SameSite=Strict and scoped to the mount path', async () => {
      const { res } = await browser.get();
      expect(res.headers.getSetCookie().join('\n')).to.match(/^lm_csrf=[A-Za-z0-9_-]{43}; Path=\/admin\/license; HttpOnly; SameSite=Strict$/m);
    });
  });
});
