/**
 * SPEC 15.4: the CSRF secret lives in the shared database, made once by compare-and-set, so a
 * form drawn by one node posts to another and to a restarted one. (The two-process version on
 * PostgreSQL and MariaDB is test/integration/cluster/cluster.test.ts.)
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import { sharedSecret } from '../../../lib/store/secrets.js';
import { withDbs } from '../../helpers/dbs.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { testVendor } from '../../helpers/license-keys.js';
import { FormClient, MOUNT, serve } from './fixture.js';

withDbs('the shared CSRF secret', (dbs) => {
  const managers = new Managers();
  const servers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of servers.splice(0)) await close();
    await managers.stopAll();
  });

  it('nodes asking at the same time on an empty database all get the same secret, kept afterwards', async () => {
    const db = await dbs.fresh();
    const vendor = await testVendor();
    const lm = await managers.start(db, vendor, testClock('2026-11-23T12:00:00Z')); // migrates
    const other = knexFactory(db.config);
    try {
      const secrets = await Promise.all(Array.from({ length: 8 }, (_, i) => sharedSecret(i % 2 ? other : lm.knex, 'race')));
      expect(secrets[0]).to.have.length(32);
      for (const s of secrets) expect(s.equals(secrets[0]!)).to.equal(true);
      expect((await sharedSecret(other, 'race')).equals(secrets[0]!)).to.equal(true);
      expect((await sharedSecret(other, 'another')).equals(secrets[0]!)).to.equal(false);
    } finally {
      await other.destroy();
    }
  });

  it('a form token drawn by one node is accepted by another and after a restart; a forged one is not', async () => {
    const db = await dbs.fresh();
    const vendor = await testVendor();
    const clock = testClock('2026-11-23T12:00:00Z');
    const node = async () => {
      const lm = await managers.start(db, vendor, clock);
      const http = await serve(lm.router());
      servers.push(http.close);
      return { lm, base: `${http.origin}${MOUNT}` };
    };
    const a = await node();
    const b = await node();
    const browser = new FormClient(a.base);
    const { token } = await browser.get();
    const post = (base: string, percent: string, csrf = token) =>
      fetch(`${base}/loc-threshold`, {
        method: 'POST',
        headers: { cookie: browser.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, percent }).toString(),
        redirect: 'manual',
      });
    expect((await post(b.base, '70')).status).to.equal(303);
    await a.lm.stop();
    const restarted = await node();
    expect((await post(restarted.base, '75')).status).to.equal(303);
    expect(restarted.lm.status().loc.threshold).to.equal(75);
    const forged = await post(b.base, '10', `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`);
    expect(forged.status).to.equal(403);
    expect((await b.lm.refresh()).loc.threshold).to.equal(75);
  });
});
