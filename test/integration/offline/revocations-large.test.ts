/**
 * SPEC 21: an instance accepts any revocation list of up to 100,000 keys, through the API over
 * HTTP as through the host API; the next list (mostly the same) replaces it; a list of 100,001 is
 * refused with a sentence. And a configured list still goes in when the audit chain's head is gone.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';
import { signDocument } from '../../../lib/keys/document.js';
import { REVOCATIONS_TYP } from '../../../lib/revocations/verify.js';
import { readRevocations } from '../../../lib/revocations/store.js';
import type { LicenseManager } from '../../../lib/index.js';

const T0 = '2026-11-23T12:00:00Z';
const AT = Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000);

function list(vendor: TestVendor, number: number, lids: readonly string[]): Promise<string> {
  return signDocument(REVOCATIONS_TYP, { v: 1, number, issuedAt: AT, revoked: lids.map((lid) => ({ lid, at: AT })) }, vendor.pair.privateJwk, {
    kid: vendor.pair.kid,
  });
}

async function serve(lm: LicenseManager): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use('/lm', lm.router());
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lm`, server };
}

withDbs('revocation lists of 100,000 keys (SPEC 21)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  const servers: Server[] = [];
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    await managers.stopAll();
  });

  it('takes a list of 100,000 keys over HTTP (POST api/revocations), revokes the one in force, then the next list of the same size', async function () {
    this.timeout(120_000);
    const db = await dbs.fresh('revbig');
    const lm = await managers.start(db, vendor, testClock(T0));
    const key = await vendor.issue({ serverId: lm.serverId });
    await lm.setLicense(key);
    const lid = lm.status().license!.lid;
    const others = Array.from({ length: 99_999 }, () => randomUUID());
    const text = await list(vendor, 1, [...others, lid]);
    expect(text.length).to.be.greaterThan(6 * 1024 * 1024); // far over the 1 MiB (about 14,000 keys) taken before

    const { url, server } = await serve(lm);
    servers.push(server);
    const res = await fetch(`${url}/api/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ list: text }),
    });
    expect(
      res.status,
      await res
        .clone()
        .text()
        .then((t) => t.slice(0, 300)),
    ).to.equal(200);
    expect(((await res.json()) as { state: string }).state).to.equal('revoked');
    expect(lm.hasFeature('sso')).to.equal(false);
    expect((await readRevocations(lm.knex))!.revoked).to.have.length(100_000);

    // the vendor's next list: ten keys left out (past their grace), ten new ones; this key stays revoked
    const next = [...others.slice(10), lid, ...Array.from({ length: 10 }, () => randomUUID())];
    const status = await lm.setRevocations(await list(vendor, 2, next));
    expect(status.state).to.equal('revoked');
    const stored = (await readRevocations(lm.knex))!;
    expect(stored.number).to.equal(2);
    expect(stored.revoked).to.have.length(100_000);
    // NOTE: sorted arrays, not Sets: chai compares Sets of 100,000 in quadratic time
    expect(stored.revoked.map((r) => r.lid).sort()).to.deep.equal([...next].sort());
    expect(Number((await lm.knex('license_revoked').count({ n: '*' }).first())!.n)).to.equal(100_000);
  });

  it('refuses a list of 100,001 keys with a sentence, storing nothing', async function () {
    this.timeout(60_000);
    const db = await dbs.fresh('revbig');
    const lm = await managers.start(db, vendor, testClock(T0));
    const err = await refusal(
      lm.setRevocations(
        await list(
          vendor,
          1,
          Array.from({ length: 100_001 }, () => randomUUID()),
        ),
      ),
    );
    expect(err.code).to.equal('VALIDATION_FAILED');
    expect(err.message).to.equal('This is not a revocation list: it lists 100001 keys, more than the 100,000 an instance takes.');
    expect(await readRevocations(lm.knex)).to.equal(undefined);
  });

  it('a configured list goes in at start() even when the audit chain head row is gone (AUDIT_CHAIN_BROKEN says so)', async () => {
    const db = await dbs.fresh('revbig');
    const first = await managers.start(db, vendor, testClock(T0));
    await first.knex('license_audit_head').delete();
    await first.stop();
    const text = await list(vendor, 3, [randomUUID(), randomUUID()]);
    const lm = await managers.start(db, vendor, testClock(T0), { revocations: text });
    expect((await readRevocations(lm.knex))?.number).to.equal(3);
    expect(lm.status().warnings.map((w) => w.code)).to.include('AUDIT_CHAIN_BROKEN');
  });
});
