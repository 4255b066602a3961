import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, seconds, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { joseSign, refused, validPayload } from '../../unit/keys/fixtures.js';

// SPEC 15.3: a vendor-signed key whose claims are out of bounds is refused and stores nothing.
withDbs(
  'claims out of bounds',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(() => managers.stopAll());

    it('setLicense refuses exp 8640000000001, grace 10^9 and loc 2^60 (signed by the vendor) and stores nothing', async () => {
      const lm = await managers.start(await dbs.fresh(), vendor, testClock('2026-11-23T12:00:00Z'));
      const good = await vendor.issue({ serverId: lm.serverId });
      await lm.setLicense(good, { actor: 'admin' });
      const before = await lm.keyHistory();
      const status = lm.status();
      const now = seconds('2026-11-01T00:00:00Z');
      const hostile = await joseSign(
        vendor.pair,
        validPayload({ serverId: lm.serverId, iat: now, nbf: now, exp: 8_640_000_000_001, grace: 1e9, limits: { loc: 2 ** 60 } }),
      );
      await refused(lm.setLicense(hostile, { actor: 'admin' }), 'KEY_CLAIMS_INVALID');
      expect(await lm.keyHistory()).to.deep.equal(before);
      expect(lm.status()).to.deep.equal(status);
      expect((await lm.refresh()).license?.lid).to.equal(status.license?.lid);
    });
  },
  ['sqlite', 'postgres'],
);
