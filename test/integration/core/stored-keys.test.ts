/**
 * SPEC 15.3, the key ring: a stored row that cannot be read or evaluated is `invalid` and never
 * stops start(), a refresh, the page or the support file; the same key set again adds no row and
 * becomes current again.
 */
import { expect } from 'chai';
import knexFactory from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { seconds, testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { serve, MOUNT } from '../web/fixture.js';
import { joseSign } from '../../unit/keys/fixtures.js';

async function onDb<T>(db: TestDb, work: (k: ReturnType<typeof knexFactory>) => Promise<T>): Promise<T> {
  const knex = knexFactory(db.config);
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

withDbs('stored keys that cannot be read, keys set again (SPEC 15.3)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  let web: { origin: string; close: () => Promise<void> } | undefined;
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(async () => {
    await web?.close();
    web = undefined;
    await managers.stopAll();
  });

  it('a hand-corrupted stored row is invalid on the page; start(), a refresh and the support file still work', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const first = await managers.start(db, vendor, clock);
    await first.setLicense(await vendor.issue({ serverId: first.serverId, licensee: 'Older Good', exp: seconds('2027-06-01T00:00:00Z') }), { actor: 'alice' });
    await first.setLicense(await vendor.issue({ serverId: first.serverId, licensee: 'Newest', exp: seconds('2027-09-01T00:00:00Z') }), { actor: 'alice' });
    await managers.stopAll();

    // a hand edit: the newest row's payload changed (the signature no longer holds), and a row
    // that is not a key at all
    await onDb(db, async (k) => {
      const [newest] = await k('license_keys').orderBy('id', 'desc').limit(1).select('id', 'key_text');
      const [h, p, s] = String(newest.key_text).split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      payload.exp = 8640000000001;
      await k('license_keys')
        .where({ id: newest.id })
        .update({ key_text: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}` });
      await k('license_keys').insert({
        lid: 'hand-made',
        key_text: '{"not":"a key"}',
        server_id: 'x',
        type: 'production',
        set_by: 'dba',
        set_at: clock.now().getTime(),
      });
      // a key the vendor really signed, stored by an earlier version: exp past year 275760
      payload.lid = '7f3c1a52-5d7e-4c1e-9d55-0d7b1c1e2f30';
      const huge = await joseSign(vendor.pair, payload);
      await k('license_keys').insert({
        lid: payload.lid,
        key_text: huge,
        server_id: payload.serverId,
        type: 'production',
        set_by: 'old',
        set_at: clock.now().getTime(),
      });
    });

    const lm = await managers.start(db, vendor, clock);
    const status = lm.status();
    expect(status.state).to.equal('active');
    expect(status.license?.licensee).to.equal('Older Good');
    expect((await lm.refresh()).state).to.equal('active');
    const history = await lm.keyHistory();
    expect(history.map((k) => [k.licensee, k.state])).to.deep.equal([
      ['(unreadable key)', 'invalid'],
      ['(unreadable key)', 'invalid'],
      ['(unreadable key)', 'invalid'],
      ['Older Good', 'active'],
    ]);

    web = await serve(lm.router());
    const page = await fetch(`${web.origin}${MOUNT}/`);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('(unreadable key)').and.include('>Invalid<');
    const support = await fetch(`${web.origin}${MOUNT}/api/support-info`);
    expect(support.status).to.equal(200);
    expect(((await support.json()) as { serverId: string }).serverId).to.equal(lm.serverId);
  });

  it('when the only stored key is corrupted, the state is invalid and start() still works', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const first = await managers.start(db, vendor, clock);
    await first.setLicense(await vendor.issue({ serverId: first.serverId }));
    await managers.stopAll();
    await onDb(db, (k) => k('license_keys').update({ key_text: 'garbage' }));
    const lm = await managers.start(db, vendor, clock);
    expect(lm.status().state).to.equal('invalid');
    expect(lm.status().warnings.map((w) => w.code)).to.include('LICENSE_INVALID');
    expect(lm.hasFeature('sso')).to.equal(false);
  });

  it('the same key set again adds no row and becomes current again, with its history, on every node', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const a = await managers.start(db, vendor, clock);
    const b = await managers.start(db, vendor, clock);
    const first = await vendor.issue({ serverId: a.serverId, licensee: 'First', exp: seconds('2027-06-01T00:00:00Z') });
    await a.setLicense(first, { actor: 'alice' });
    clock.set('2026-11-24T12:00:00Z');
    await a.setLicense(await vendor.issue({ serverId: a.serverId, licensee: 'Second', exp: seconds('2027-09-01T00:00:00Z') }), { actor: 'bob' });
    expect(a.status().license?.licensee).to.equal('Second');

    clock.set('2026-11-25T12:00:00Z');
    const again = await a.setLicense(first, { actor: 'carol' });
    expect(again.license?.licensee).to.equal('First');
    expect(
      await onDb(db, (k) =>
        k('license_keys')
          .count({ n: '*' })
          .first()
          .then((r) => Number(r!.n)),
      ),
    ).to.equal(2);
    const history = await a.keyHistory();
    const entry = history.find((k) => k.licensee === 'First')!;
    expect(entry).to.include({ setBy: 'alice', setAt: '2026-11-23T12:00:00.000Z', current: true });

    // another node sees the key moved to the front on its next refresh
    expect((await b.refresh()).license?.licensee).to.equal('First');
    // and a key set later still comes first
    await b.setLicense(await vendor.issue({ serverId: a.serverId, licensee: 'Third', exp: seconds('2027-12-01T00:00:00Z') }));
    expect((await a.refresh()).license?.licensee).to.equal('Third');
  });
});
