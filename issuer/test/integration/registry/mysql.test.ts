import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { CodedError } from '../../../../lib/errors.js';
import { clockAt, customerWithLicense, DAY, openRegistry, OTHER_ID, vendorKeys } from './helpers.js';

// The rules are tested at their boundaries on SQLite and PostgreSQL; this proves the same
// registry (migrations, compare-and-set binding, row mapping) runs on MySQL/MariaDB too.
withDbs(
  'vendor registry on MySQL',
  (dbs) => {
    it('issues, binds one production instance, issues an emergency key and lists both', async () => {
      const clock = clockAt('2025-12-01T09:00:00Z');
      const registry = await openRegistry(await dbs.fresh('vmy'), clock.now);
      try {
        const { sub, license } = await customerWithLicense(registry, clock);
        const { privateJwk } = await vendorKeys();
        const err = await registry.issue({ privateJwk, subscription: sub.id, serverId: OTHER_ID }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(CodedError).with.property('code', 'SUBSCRIPTION_INSTANCE_TAKEN');
        clock.set(new Date(Date.parse('2026-01-25T00:00:00Z') + DAY));
        const { license: emergency } = await registry.emergency({
          privateJwk,
          account: 'Acme_Corp-A1001',
          users: 4,
          email: 'ops@acme.example',
          issuedBy: 'bob',
          ticket: 'T-1',
        });
        const listed = await registry.list();
        expect(listed.map((l) => [l.lid, l.emergency])).to.deep.equal([
          [license.lid, false],
          [emergency.lid, true],
        ]);
        expect(listed[1]!.claims.exp - listed[1]!.claims.iat).to.equal(864_000);
        expect(listed[0]!.exp.toISOString()).to.equal('2026-01-11T00:00:00.000Z');
      } finally {
        await registry.close();
      }
    });
  },
  ['mysql'],
);
