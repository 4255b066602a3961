import { expect } from 'chai';
import type { Logger } from '../../../lib/host.js';
import { api, FormClient, startWeb, type WebFixture } from './fixture.js';

/**
 * SPEC 17.3 / 15.6: the actor is a name, never an address. A host whose actorOf(req) hands back
 * the signed-in user's email (a common shortcut) must not put that address in the log, the
 * stored keys' "set by", the page, the API or the audit log: the part before the `@` is kept.
 */
describe('web: an actorOf that returns an email address', () => {
  let web: WebFixture;
  const lines: string[] = [];
  const logger: Logger = {
    info: (m, d) => lines.push(`${m} ${JSON.stringify(d ?? {})}`),
    warn: (m, d) => lines.push(`${m} ${JSON.stringify(d ?? {})}`),
    error: (m, d) => lines.push(`${m} ${JSON.stringify(d ?? {})}`),
  };
  before(async () => {
    web = await startWeb({ actorOf: () => 'alice.admin@corp.example', logger });
  });
  after(() => web.close());

  it('is kept as a name in the log, the stored key, the page, the API and the audit log', async () => {
    const first = await web.issue({ licensee: 'First Ltd', expires: '2027-06-30' });
    expect((await api(web.base, 'POST', '/license', { key: first })).status).to.equal(200);
    const second = await web.issue({ licensee: 'Second Ltd' });
    const lid = (await api(web.base, 'POST', '/license', { key: second })).json.status.license.lid as string;
    const older = (await api(web.base, 'GET', '/keys')).json.keys.find((k: { lid: string }) => k.lid !== lid).lid as string;
    const activated = await api(web.base, 'POST', '/license/activate', { lid: older });
    expect(activated.status, JSON.stringify(activated.json)).to.equal(200);
    const retired = await api(web.base, 'POST', '/license/retire', { lid });
    expect(retired.status, JSON.stringify(retired.json)).to.equal(200);
    expect((await api(web.base, 'PUT', '/loc-threshold', { percent: 70 })).status).to.equal(200);
    const browser = new FormClient(web.base);
    const { token } = await browser.get();
    expect((await browser.post('/loc-threshold', { _csrf: token, percent: '75' })).res.status).to.equal(303);

    const outputs = {
      log: lines.join('\n'),
      keys: JSON.stringify((await api(web.base, 'GET', '/keys')).json),
      audit: JSON.stringify((await api(web.base, 'GET', '/audit')).json),
      page: (await browser.get()).html,
      support: await (await fetch(`${web.base}/api/support-info`)).text(),
    };
    expect(
      lines.some((l) => l.includes('alice.admin')),
      'the log names the actor',
    ).to.equal(true);
    expect(outputs.page).to.contain('alice.admin');
    for (const [where, text] of Object.entries(outputs)) expect(text, where).not.to.contain('corp.example');
  });
});
