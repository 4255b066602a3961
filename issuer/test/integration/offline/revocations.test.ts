import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { withDbs, type DbFactory } from '../../../../test/helpers/dbs.js';
import { Managers, testClock, type TestClock } from '../../../../test/helpers/managers.js';
import type { TestVendor } from '../../../../test/helpers/license-keys.js';
import { generateKeyPair, type VendorKeyPair } from '../../../../lib/keys/sign.js';
import { listAudit } from '../../../../lib/audit/index.js';
import { readRevocations } from '../../../../lib/revocations/store.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import type { LicenseManager } from '../../../../lib/manager.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { openRegistry } from '../registry/helpers.js';

/** A vendor registry with a subscription for the instance, its production key set on the instance. */
async function licensedInstance(dbs: DbFactory, managers: Managers, pair: VendorKeyPair, clock: TestClock, nodes = 1) {
  const db = await dbs.fresh('revi');
  const lms: LicenseManager[] = [];
  for (let i = 0; i < nodes; i++) lms.push(await managers.start(db, { pair } as TestVendor, clock));
  const registry = await openRegistry(await dbs.fresh('revv'), clock.now);
  const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1' });
  const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-06-30' });
  const issue = async () => await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: lms[0]!.serverId, features: ['sso'] });
  const license = await issue();
  await lms[0]!.setLicense(license.key);
  return { db, lms, registry, license, issue };
}

withDbs('revocation lists on the instance (SPEC 18.2)', (dbs) => {
  const managers = new Managers();
  const registries: VendorRegistry[] = [];
  let pair: VendorKeyPair;
  before(async () => {
    pair = await generateKeyPair();
  });
  afterEach(async () => {
    await managers.stopAll();
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });

  it('a revoked key is revoked on two managers sharing the database, with no feature and the date; it cannot be set again', async () => {
    const clock = testClock('2026-03-01T10:00:00Z');
    const {
      lms: [one, two],
      registry,
      license,
      issue,
    } = await licensedInstance(dbs, managers, pair, clock, 2);
    registries.push(registry);
    await two!.refresh();
    expect(two!.hasFeature('sso')).to.equal(true);

    clock.set('2026-03-05T09:00:00Z');
    await registry.revoke({ lid: license.lid, reason: 'contract cancelled', issuedBy: 'alice' });
    const list = await registry.revocationList({ privateJwk: pair.privateJwk });
    clock.set('2026-03-06T09:00:00Z');
    const status = await one!.setRevocations(list.text, { actor: 'bob' });
    expect(status.state).to.equal('revoked');
    expect(status.details.revokedAt).to.equal('2026-03-05T09:00:00.000Z');
    expect(status.warnings.find((w) => w.code === 'LICENSE_REVOKED')?.message)
      .to.include('2026-03-05')
      .and.include(license.lid);
    expect(one!.hasFeature('sso')).to.equal(false);
    expect(status.loc.limit).to.equal(null);
    // the other node: on its next refresh (what its refreshSeconds timer runs)
    expect(two!.hasFeature('sso')).to.equal(true);
    expect((await two!.refresh()).state).to.equal('revoked');
    expect(two!.hasFeature('sso')).to.equal(false);
    expect((await two!.keyHistory()).find((k) => k.lid === license.lid)?.state).to.equal('revoked');

    const [entry] = await listAudit(one!.knex, { limit: 1 });
    expect(entry).to.deep.include({ action: 'revocations_set', actor: 'bob', detail: { number: 1, revoked: 1 } });

    const again = await two!.setLicense(license.key).catch((e: unknown) => e);
    expect(again).to.have.property('code', 'LICENSE_REVOKED');
    expect((again as Error).message).to.include('2026-03-05');
    // the replacement key the vendor sends puts the features back
    const replacement = await issue();
    expect((await two!.setLicense(replacement.key)).state).to.equal('active');
    expect((await one!.refresh()).state).to.equal('active');
    // and the revoked key cannot be made current by hand
    expect(await one!.activateKey(license.lid).catch((e: unknown) => e)).to.have.property('code', 'VALIDATION_FAILED');
  });

  it('refuses an older or the same list (REVOCATIONS_STALE) and a list signed by an untrusted key, changing nothing', async () => {
    const clock = testClock('2026-03-01T10:00:00Z');
    const {
      lms: [lm],
      registry,
      license,
    } = await licensedInstance(dbs, managers, pair, clock);
    registries.push(registry);
    const older = await registry.revocationList({ privateJwk: pair.privateJwk }); // number 1, nothing revoked
    await registry.revoke({ lid: license.lid, reason: 'leaked', issuedBy: 'alice' });
    const newer = await registry.revocationList({ privateJwk: pair.privateJwk }); // number 2
    expect((await lm!.setRevocations(newer.text)).state).to.equal('revoked');
    for (const list of [older, newer]) {
      const err = await lm!.setRevocations(list.text).catch((e: unknown) => e);
      expect(err, `list ${list.number}`).to.have.property('code', 'REVOCATIONS_STALE');
      expect((err as Error).message)
        .to.include(`number ${list.number}`)
        .and.include('number 2 is already in force');
    }
    const stranger = await generateKeyPair();
    const forged = await registry.revocationList({ privateJwk: stranger.privateJwk }); // number 3, but not our vendor's key
    const err = await lm!.setRevocations(forged.text).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'KEY_UNKNOWN_KID');
    expect((err as Error).message).to.include('revocation list');
    const tampered = newer.text.slice(0, -4) + (newer.text.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await lm!.setRevocations(tampered).catch((e: unknown) => e)).to.have.property('code', 'KEY_BAD_SIGNATURE');
    expect(await lm!.setRevocations('not a list').catch((e: unknown) => e)).to.have.property('code', 'VALIDATION_FAILED');
    expect((await listAudit(lm!.knex, { limit: 10 })).filter((e) => e.action === 'revocations_set')).to.have.length(1);

    // two lists installed at the same moment: the newer one is in force, whatever the order
    const four = await registry.revocationList({ privateJwk: pair.privateJwk });
    const five = await registry.revocationList({ privateJwk: pair.privateJwk });
    const outcomes = await Promise.allSettled([lm!.setRevocations(five.text), lm!.setRevocations(four.text)]);
    expect(outcomes[0].status).to.equal('fulfilled');
    if (outcomes[1].status === 'rejected') expect(outcomes[1].reason).to.have.property('code', 'REVOCATIONS_STALE');
    expect((await readRevocations(lm!.knex))?.number).to.equal(5);
    const [entry] = await listAudit(lm!.knex, { limit: 1 });
    expect(entry!.detail).to.deep.include({ number: 5 });
  });
});

withDbs(
  'revocation lists: the page upload, the API, the CLI and the option (SPEC 18.2)',
  (dbs) => {
    const managers = new Managers();
    afterEach(() => managers.stopAll());

    it('takes a list from POST api/revocations, from the page form (file upload), from set-revocations and from the revocations option', async () => {
      const pair = await generateKeyPair();
      const clock = testClock('2026-03-01T10:00:00Z');
      const {
        db,
        lms: [lm],
        registry,
        license,
      } = await licensedInstance(dbs, managers, pair, clock);
      const lists = [];
      try {
        await registry.revoke({ lid: license.lid, reason: 'r', issuedBy: 'alice' });
        for (let i = 0; i < 4; i++) lists.push(await registry.revocationList({ privateJwk: pair.privateJwk }));
      } finally {
        await registry.close();
      }
      const app = express();
      app.use('/admin/license', lm!.router());
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license`;
      const cwd = mkdtempSync(join(tmpdir(), 'lm-rev-cli-'));
      try {
        // 1. the JSON API
        const api = await fetch(`${base}/api/revocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ list: lists[0]!.text }),
        });
        expect(api.status).to.equal(200);
        expect(((await api.json()) as { state: string }).state).to.equal('revoked');
        const stale = await fetch(`${base}/api/revocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ list: lists[0]!.text }),
        });
        expect(stale.status).to.equal(409);
        expect(((await stale.json()) as { error: { code: string } }).error.code).to.equal('REVOCATIONS_STALE');
        expect(await (await fetch(`${base}/metrics`)).text()).to.match(/^license_state\{state="revoked"\} 1$/m);

        // 2. the page: the form's token, then the file uploaded as multipart/form-data
        const page = await fetch(`${base}/`);
        const html = await page.text();
        expect(html).to.include('Download usage report').and.include(lm!.instanceKeyId).and.include('License revoked');
        const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
        const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
        const form = new FormData();
        form.set('_csrf', token);
        form.set('file', new Blob([lists[1]!.text], { type: 'application/jose' }), 'revocations.jws');
        form.set('list', '');
        const posted = await fetch(`${base}/revocations`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
        expect(posted.status, await posted.clone().text()).to.equal(303);
        expect(posted.headers.get('location')).to.include('done=revocations');
        const after = await (await fetch(`${base}/?done=revocations`, { headers: { cookie } })).text();
        expect(after).to.include('The revocation list is installed.').and.include('Number 2');
        const refusedForm = new FormData();
        refusedForm.set('_csrf', token);
        refusedForm.set('list', lists[0]!.text);
        const refused = await fetch(`${base}/revocations`, { method: 'POST', body: refusedForm, headers: { cookie } });
        expect(refused.status).to.equal(409);
        expect(await refused.text()).to.include('data-code="REVOCATIONS_STALE"');

        // 3. the CLI
        writeFileSync(join(cwd, 'vendor.jwk.json'), JSON.stringify(pair.publicJwk));
        writeFileSync(join(cwd, 'list.jws'), lists[2]!.text);
        let out = '';
        let err = '';
        const io: CliIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {}, now: clock.now, cwd };
        expect(await runCli(['set-revocations', '--db', db.url, '--file', 'list.jws', '--public-key', 'vendor.jwk.json'], io), err).to.equal(0);
        expect(out).to.include('License state: revoked');
        expect(await runCli(['set-revocations', '--db', db.url, '--file', 'list.jws', '--public-key', 'vendor.jwk.json'], io)).to.equal(1);
        expect(err).to.include('REVOCATIONS_STALE');
        // a SQLite path that does not exist is refused, not created empty
        for (const argv of [
          ['set-revocations', '--file', 'list.jws'],
          ['usage-report', '--out', 'r.jws'],
        ]) {
          err = '';
          expect(await runCli([...argv, '--db', 'sqlite:missing.db', '--public-key', 'vendor.jwk.json'], io), argv[0]).to.equal(2);
          expect(err).to.include('There is no SQLite database at');
          expect(existsSync(join(cwd, 'missing.db'))).to.equal(false);
        }
      } finally {
        await new Promise((r) => server.close(r));
        rmSync(cwd, { recursive: true, force: true });
      }

      // 4. the option: a newer list is installed at start, an overtaken one is fine, a forged one stops start()
      const opt = await managers.start(db, { pair } as TestVendor, clock, { revocations: lists[3]!.text });
      expect((await opt.refresh()).state).to.equal('revoked');
      await managers.start(db, { pair } as TestVendor, clock, { revocations: lists[0]!.text });
      const stranger = await generateKeyPair();
      const other = await openRegistry(await dbs.fresh('revo'), clock.now);
      const forged = await other.revocationList({ privateJwk: stranger.privateJwk });
      await other.close();
      const failed = await managers.start(db, { pair } as TestVendor, clock, { revocations: forged.text }).catch((e: unknown) => e);
      expect(failed).to.be.instanceOf(TypeError);
      expect((failed as Error).message).to.include('"revocations"');
    });
  },
  ['sqlite'],
);
