import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, seconds, DAY, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';

withDbs('license key ring and states', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('starts on an empty database with no license: state none, no feature', async () => {
    const lm = await managers.start(await dbs.fresh(), vendor, testClock('2026-11-23T12:00:00Z'));
    const status = lm.status();
    expect(status.serverId).to.equal(lm.serverId);
    expect(status.state).to.equal('none');
    expect(status.license).to.equal(null);
    expect(status.loc).to.deep.equal({ used: 0, limit: null, percent: null, threshold: 90, softCap: false });
    expect(status.warnings.map((w) => w.code)).to.include('NO_LICENSE');
    expect(lm.hasFeature('sso')).to.equal(false);
  });

  it('sets a license: it becomes current, its features are on, and the history says who set it and when', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock);
    const key = await vendor.issue({ serverId: lm.serverId, features: ['sso'] });
    const status = await lm.setLicense(`-----BEGIN LICENSE KEY-----\r\n${key.slice(0, 40)}\r\n${key.slice(40)}\r\n-----END LICENSE KEY-----\n`, {
      actor: 'alice',
    });
    expect(status.state).to.equal('active');
    expect(status.license?.licensee).to.equal('Acme Corp');
    expect(lm.hasFeature('sso')).to.equal(true);
    expect(lm.hasFeature('audit')).to.equal(false);
    const [entry] = await lm.keyHistory();
    expect(entry).to.include({ setBy: 'alice', setAt: '2026-11-23T12:00:00.000Z', current: true, state: 'active', source: 'database' });
  });

  it('refuses a damaged key, a key for another server and an expired key, and the current license stays', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock);
    const good = await vendor.issue({ serverId: lm.serverId });
    await lm.setLicense(good, { actor: 'alice' });
    const before = lm.status();

    const damaged = good.slice(0, -5) + (good.endsWith('AAAAA') ? 'BBBBB' : 'AAAAA');
    expect((await refusal(lm.setLicense(damaged))).code).to.be.oneOf(['KEY_BAD_SIGNATURE', 'KEY_MALFORMED']);
    const otherId = '0000ABCD-AAAAAAAAAAAAAAAAAAAA';
    const mismatch = await refusal(lm.setLicense(await vendor.issue({ serverId: otherId })));
    expect(mismatch.code).to.equal('SERVER_ID_MISMATCH');
    expect(mismatch.message).to.include(otherId).and.include(lm.serverId);
    const expired = await vendor.issue({ serverId: lm.serverId, exp: seconds('2026-11-01T00:00:00Z'), grace: 14 });
    expect((await refusal(lm.setLicense(expired))).code).to.equal('LICENSE_EXPIRED');
    const stranger = await (await testVendor()).issue({ serverId: lm.serverId });
    expect((await refusal(lm.setLicense(stranger))).code).to.equal('KEY_UNKNOWN_KID');

    expect(lm.status()).to.deep.equal(before);
    expect(await lm.keyHistory()).to.have.length(1);
  });

  it('moves through not_yet_valid, active, expiring, grace and expired at the exact boundaries', async () => {
    const nbf = seconds('2026-12-01T00:00:00Z');
    const exp = seconds('2027-06-01T00:00:00Z');
    const clock = testClock('2026-11-23T00:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock);
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, nbf, exp, grace: 14, features: ['sso'] }));
    const expectAt = async (t: number, state: string, sso: boolean) => {
      clock.set(new Date(t * 1000));
      const status = await lm.refresh();
      expect(status.state, new Date(t * 1000).toISOString()).to.equal(state);
      expect(lm.hasFeature('sso'), `sso at ${state}`).to.equal(sso);
    };
    await expectAt(nbf - 1, 'not_yet_valid', false);
    await expectAt(nbf, 'active', true);
    await expectAt(exp - 60 * DAY - 1, 'active', true);
    await expectAt(exp - 60 * DAY, 'expiring', true);
    expect(lm.status().warnings.map((w) => w.code)).to.include('LICENSE_EXPIRING');
    expect(lm.status().details.daysLeft).to.equal(60);
    await expectAt(exp - 1, 'expiring', true);
    await expectAt(exp, 'grace', true);
    await expectAt(exp + 14 * DAY - 1, 'grace', true);
    await expectAt(exp + 14 * DAY, 'expired', false);
    expect(lm.status().loc.limit).to.equal(null);
  });

  it('judges expiry against the latest time seen when the clock goes back more than a day, with a warning', async () => {
    const exp = seconds('2027-06-01T00:00:00Z');
    const clock = testClock('2027-06-20T00:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock);
    clock.set('2027-05-01T00:00:00Z');
    // the key is expired at the latest time seen (June 20th), so it is refused and nothing changes
    const refused = await refusal(lm.setLicense(await vendor.issue({ serverId: lm.serverId, exp, grace: 14 })));
    expect(refused.code).to.equal('LICENSE_EXPIRED');
    expect((await lm.refresh()).state).to.equal('none');
    expect(lm.status().warnings.map((w) => w.code)).to.include('CLOCK_BACKWARDS');
    clock.set('2027-06-19T01:00:00Z'); // less than a day back: the clock is believed
    expect((await lm.refresh()).warnings.map((w) => w.code)).to.not.include('CLOCK_BACKWARDS');
  });

  it('leaves a complete history when two managers set keys at the same time', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const a = await managers.start(db, vendor, clock);
    const b = await managers.start(db, vendor, clock);
    expect(b.serverId).to.equal(a.serverId);
    const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => vendor.issue({ serverId: a.serverId, licensee: `Licensee ${i}` })));
    await Promise.all(keys.map((k, i) => (i % 2 ? a : b).setLicense(k, { actor: `admin${i}` })));
    const history = await a.keyHistory();
    expect(history).to.have.length(8);
    expect(new Set(history.map((h) => h.setBy)).size).to.equal(8);
    // NOTE: both refreshed after every write: a's own last refresh may predate b's last write
    await Promise.all([a.refresh(), b.refresh()]);
    expect(b.status().license?.lid).to.equal(a.status().license?.lid);
  });

  it('lets a node see a license set on another node within refreshSeconds', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const a = await managers.start(db, vendor, clock);
    const b = await managers.start(db, vendor, clock, { refreshSeconds: 0.2 });
    await a.setLicense(await vendor.issue({ serverId: a.serverId }));
    for (let i = 0; i < 100 && b.status().state !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(b.status().state).to.equal('active');
  });

  it('prefers a usable key from configuration (option, LICENSE_KEY or LICENSE_KEY_FILE) over stored keys', async () => {
    const db = await dbs.fresh();
    const clock = testClock('2026-11-23T12:00:00Z');
    const first = await managers.start(db, vendor, clock);
    const serverId = first.serverId;
    await first.setLicense(await vendor.issue({ serverId, licensee: 'From the page' }));
    await managers.stopAll();
    const configured = await vendor.issue({ serverId, licensee: 'From configuration', type: 'production' });
    const viaOption = await managers.start(db, vendor, clock, { licenseKey: configured });
    expect(viaOption.status().license?.licensee).to.equal('From configuration');
    await managers.stopAll();
    const viaEnv = await managers.start(db, vendor, clock, { env: { LICENSE_KEY: configured } });
    expect(viaEnv.status().license?.licensee).to.equal('From configuration');
    expect((await viaEnv.keyHistory())[0]).to.include({ source: 'config', current: true });
    expect(viaEnv.status().warnings.map((w) => w.code)).to.include('CONFIG_KEY_IN_FORCE');
    await managers.stopAll();
    const file = join(mkdtempSync(join(tmpdir(), 'lm-key-')), 'license.key');
    writeFileSync(file, `-----BEGIN LICENSE KEY-----\n${configured}\n-----END LICENSE KEY-----\n`);
    const viaFile = await managers.start(db, vendor, clock, { env: { LICENSE_KEY_FILE: file } });
    expect(viaFile.status().license?.licensee).to.equal('From configuration');
  });

  it('hands out a status that callers cannot change, and starts only once however often start() is called', async () => {
    const clock = testClock('2026-11-23T12:00:00Z');
    const lm = await managers.start(await dbs.fresh(), vendor, clock);
    await Promise.all([lm.start(), lm.start()]);
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, features: ['sso'] }));
    const status = lm.status();
    expect(() => {
      (status.license!.features as string[]).push('everything');
    }).to.throw(TypeError);
    expect(() => {
      (status as { state: string }).state = 'active';
    }).to.throw(TypeError);
    expect(lm.hasFeature('everything')).to.equal(false);
    expect((await lm.jobs.jobRuns()).length).to.equal(1);
  });
});
