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
    const { res } = await browser.post('/license', {
      _csrf: token,
      key: `-----BEGIN LICENSE KEY-----\n${key.match(/.{1,64}/g)!.join('\n')}\n-----END LICENSE KEY-----\n`,
    });
    expect(res.status).to.equal(303);
    const lid = web.status().license!.lid;
    expect(res.headers.get('location')).to.equal(`${MOUNT}/?done=license&lid=${lid}#outcome`);
    expect(web.status().license?.licensee).to.equal('Globex');
    const after = await browser.get(`/?done=license&lid=${lid}`);
    expect(after.html).to.contain('The new license is set: Globex (production, valid until 31 December 2027).');
  });

  it('Preview (no script): the key is shown with what it changes and a warning for losses; nothing is stored until Apply', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech', features: ['sso', 'security-reports'], loc: 100_000, expires: '2028-12-31' }));
    const before = web.status().license!.lid;
    const { token } = await browser.get();
    const worse = await web.issue({ licensee: 'Initech', features: ['sso'], loc: 50_000, expires: '2027-06-30' });
    const { res, html } = await browser.post('/license/preview', { _csrf: token, key: worse });
    expect(res.status).to.equal(200);
    expect(html).to.contain('data-testid="preview"');
    expect(html).to.contain('Features lost: security-reports');
    expect(html).to.contain('Lines of code: 50,000 instead of 100,000 (lower)');
    expect(html).to.contain('Valid until 30 June 2027 instead of 31 December 2028 (earlier)');
    expect(html).to.match(/data-testid="preview-warning"[\s\S]*Features turned off: security-reports/);
    expect(html).to.match(/name="key" value="[^"]+"[\s\S]*Apply license/);
    expect(web.status().license!.lid).to.equal(before); // nothing stored by the preview
    expect(await web.lm.keyHistory()).to.have.length(1);
  });

  it('Preview of an uploaded .key file (multipart, no script), and a file of another kind refused', async () => {
    const { token, res: page } = await browser.get();
    const key = await web.issue({ licensee: 'Uploaded Ltd' });
    const form = new FormData();
    form.set('_csrf', token);
    form.set('key', '');
    form.set(
      'keyfile',
      new Blob([`-----BEGIN LICENSE KEY-----\r\n${key}\r\n-----END LICENSE KEY-----\r\n`], { type: 'application/octet-stream' }),
      'customer.license.key',
    );
    const post = (body: FormData) =>
      fetch(`${web.base}/license/preview`, { method: 'POST', body, headers: { cookie: browser.cookieHeader }, redirect: 'manual' });
    const ok = await post(form);
    expect(page.status).to.equal(200);
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.contain('data-testid="preview-licensee">Uploaded Ltd<');
    form.set('keyfile', new Blob([key]), 'license.pdf');
    const wrong = await post(form);
    expect(wrong.status).to.equal(400);
    expect(await wrong.text()).to.contain('Upload the key as a .key or .txt file, or paste it.');
  });

  it('Make current, Retire and undo (no script): each redirects 303 with its outcome, and the current license follows', async () => {
    await web.setLicense(await web.issue({ licensee: 'Older Better', features: ['sso', 'security-reports'] }));
    const older = web.status().license!.lid;
    await web.setLicense(await web.issue({ licensee: 'Newer Worse', features: ['sso'] }));
    const newer = web.status().license!.lid;
    let { token } = await browser.get();
    let post = await browser.post('/keys/activate', { _csrf: token, lid: older });
    expect(post.res.status).to.equal(303);
    expect(post.res.headers.get('location')).to.equal(`${MOUNT}/?done=activated&lid=${older}#outcome`);
    expect(web.status().license!.lid).to.equal(older);
    expect(web.lm.hasFeature('security-reports')).to.equal(true);
    expect((await browser.get(`/?done=activated&lid=${older}`)).html).to.contain(
      'Older Better (production, valid until 31 December 2027) is now the current license.',
    );

    ({ token } = await browser.get());
    post = await browser.post('/keys/retire', { _csrf: token, lid: newer });
    expect(post.res.status).to.equal(303);
    const retired = (await browser.get(`/?done=retired&lid=${newer}`)).html;
    expect(retired).to.contain('is retired: it stays in the history and is never chosen again.');
    expect(retired).to.contain('Undo: make it current again');
    expect((await web.lm.keyHistory()).find((k) => k.lid === newer)).to.include({ retired: true, current: false });

    // the current key cannot be retired; the refusal is the outcome at the top
    ({ token } = await browser.get());
    post = await browser.post('/keys/retire', { _csrf: token, lid: older });
    expect(post.res.status).to.equal(400);
    expect(post.html).to.contain('The key was not retired: The current license cannot be retired');

    // undo: Make current on the retired key
    ({ token } = await browser.get());
    post = await browser.post('/keys/activate', { _csrf: token, lid: newer });
    expect(post.res.status).to.equal(303);
    expect(web.status().license!.lid).to.equal(newer);
    expect((await web.lm.keyHistory()).find((k) => k.lid === newer)).to.include({ retired: false, current: true });
  });

  it('a future-dated key is stored and says when it starts; the current license stays in force until then', async () => {
    await web.setLicense(await web.issue({ licensee: 'Now Corp' }));
    const { token } = await browser.get();
    const future = await web.issue({ licensee: 'Renewal Corp', expires: '2029-12-31', startsAt: new Date('2027-01-01T00:00:00Z') });
    const preview = await browser.post('/license/preview', { _csrf: token, key: future });
    expect(preview.html).to.contain('This key starts on 1 January 2027. The current license stays in force until then');
    const { res } = await browser.post('/license', { _csrf: token, key: future });
    const page = await browser.get(new URL(res.headers.get('location')!, web.origin).search);
    expect(page.html).to.contain('It starts on 1 January 2027; the current license stays in force until then.');
    expect(page.html).not.to.contain('The new license is set');
    expect(web.status().license!.licensee).to.equal('Now Corp');
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
