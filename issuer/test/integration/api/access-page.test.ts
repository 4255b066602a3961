/** The portal's API tokens and single sign-on page: an admin makes a token (shown once), it works, its last use shows, revoked it stops; the group map. */
import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { ssoGroups } from '../../../lib/sso/groups.js';
import { clockAt } from '../registry/helpers.js';
import { signedIn, startPortal, type PortalFixture } from '../portal/fixture.js';

withDbs(
  'portal API tokens page',
  (dbs) => {
    const clock = clockAt('2026-03-02T10:00:00Z');
    let p: PortalFixture;
    beforeEach(async () => {
      clock.set('2026-03-02T10:00:00Z');
      p = await startPortal(await dbs.fresh('access'), { now: clock.now });
    });
    afterEach(async () => p?.close());
    const api = (secret: string) => fetch(`${p.url}/api/v1/customers`, { headers: { authorization: `Bearer ${secret}` } });

    it('an admin makes a token shown once, it works with its role until revoked, and the page shows its last use', async () => {
      const admin = await signedIn(p.url, 'admin');
      const made = await admin.post('/access/tokens', { name: 'crm-sync', role: 'sales' });
      expect(made.status).to.equal(200);
      const secret = /data-testid="token-secret">(lmv_[^<]+)</.exec(made.text)![1]!;
      expect((await admin.get('/access')).text).not.to.contain(secret);
      clock.set('2026-03-05T09:30:00Z');
      expect((await api(secret)).status).to.equal(200);
      const listed = (await admin.get('/access')).text;
      expect(listed).to.contain('crm-sync').and.not.to.contain('>never<');
      expect((await admin.post('/access/tokens', { name: 'crm-sync', role: 'admin' })).text).to.contain('already a token named crm-sync');
      expect((await admin.post('/access/tokens/revoke', { name: 'crm-sync' })).status).to.equal(303);
      expect((await api(secret)).status).to.equal(401);
      expect((await p.registry.events()).map((e) => `${e.actor} ${e.action}`).slice(0, 2)).to.deep.equal(['admin api_token_revoked', 'admin api_token_added']);
    });

    it('maps and unmaps groups; only users.manage may', async () => {
      const admin = await signedIn(p.url, 'admin');
      expect((await admin.post('/access/sso', { group: 'license-eng', role: 'engineer' })).status).to.equal(303);
      expect(await ssoGroups(p.registry.db).roleFor(['license-eng'])).to.equal('engineer');
      expect((await admin.get('/access')).text).to.contain('license-eng');
      expect((await admin.post('/access/sso', { group: '', role: 'engineer' })).status).to.equal(400);
      expect((await admin.post('/access/sso/unmap', { group: 'license-eng' })).status).to.equal(303);
      expect(await ssoGroups(p.registry.db).roleFor(['license-eng'])).to.equal(undefined);
      const engineer = await signedIn(p.url, 'engineer');
      expect((await engineer.get('/access')).status).to.equal(403);
      expect((await engineer.post('/access/tokens', { name: 'x', role: 'admin' })).status).to.equal(403);
      expect((await p.registry.db('vendor_api_tokens').count({ n: '*' }))[0]!.n).to.satisfy((n: unknown) => Number(n) === 0);
    });
  },
  ['sqlite', 'postgres'],
);
