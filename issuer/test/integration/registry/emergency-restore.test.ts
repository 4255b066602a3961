/**
 * Issue 23.1: an emergency license restores service. It takes edition, features and the
 * lines-of-code limit from the account's last production license of a paid subscription (never a
 * later staging key without features), says so before it is issued, refuses with a sentence when
 * there is nothing to restore, and its key, installed in a real host, opens the gated route.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expect } from 'chai';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { verifyLicenseKey } from '../../../../lib/keys/verify.js';
import type { CodedError } from '../../../../lib/errors.js';
import { createLicenseManager } from '../../../../lib/index.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { describeRestore, emergencyMail } from '../../../lib/registry/index.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { clockAt, DAY, openRegistry, PROD_ID, STAGING_ID, vendorKeys } from './helpers.js';

const GRACE_ENDS = Date.parse('2026-01-25T00:00:00Z'); // contract ends 2026-01-10, 14 days of grace

async function cli(clock: { now: () => Date }, ...argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, now: clock.now, cwd: process.cwd() };
  const code = await runCli(argv, io);
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

withDbs(
  'vendor registry: the emergency license restores service (issue 23.1)',
  (dbs) => {
    let registry: VendorRegistry;
    const clock = clockAt('2025-12-01T09:00:00Z');
    beforeEach(async () => {
      clock.set('2025-12-01T09:00:00Z');
      registry = await openRegistry(await dbs.fresh('vrst'), clock.now);
    });
    afterEach(async () => registry.close());

    it("takes edition, features and limits from the last production license, not a later staging key without features; the host's gated route answers", async () => {
      const { privateJwk, publicJwk } = await vendorKeys();
      const account = await registry.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
      const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-01-10', users: 50, loc: 250_000 });
      const production = await registry.issue({
        privateJwk,
        subscription: sub.id,
        serverId: PROD_ID,
        issuedBy: 'alice',
        features: ['security-reports', 'sso'],
      });
      clock.set('2025-12-05T09:00:00Z');
      await registry.issue({ privateJwk, subscription: sub.id, serverId: STAGING_ID, type: 'staging', issuedBy: 'alice', features: [] });
      clock.set(new Date(GRACE_ENDS + DAY));

      const preview = await registry.emergencyPreview({ account: account.name, users: 12 });
      expect(preview).to.deep.include({ edition: production.claims.edition, features: ['security-reports', 'sso'], limits: { users: 12, loc: 250_000 } });
      expect(preview.restoredFrom).to.deep.include({ lid: production.lid, subscription: sub.id, plan: 'enterprise' });
      expect(describeRestore(preview)).to.equal(
        `edition ${production.claims.edition}; features security-reports, sso; 12 users, 250,000 lines of code — restored from production license ${production.lid} (enterprise, subscription ${sub.id})`,
      );

      const { license, restored } = await registry.emergency({
        privateJwk,
        account: account.name,
        users: 12,
        email: 'ops@acme.example',
        issuedBy: 'bob',
        ticket: 'SUP-1',
      });
      expect(restored).to.deep.equal(preview);
      const { payload } = await verifyLicenseKey(license.key, { publicKeys: [publicJwk] });
      expect(payload).to.deep.include({
        edition: production.claims.edition,
        features: ['security-reports', 'sso'],
        limits: { users: 12, loc: 250_000 },
        serverId: '*',
      });

      // the host it is meant to unblock: its gated route refused, then answers with the key installed
      const hostDb = await dbs.fresh('vrsthost');
      const lm = createLicenseManager({
        db: hostDb.config,
        publicKeys: [publicJwk],
        productName: 'Acme Code Scanner',
        baseUrl: 'http://localhost/admin/license',
        authorize: () => true,
        getGlobalAdmins: async () => [],
        now: clock.now,
      });
      await lm.start();
      const app = express();
      app.get('/reports/security', lm.requireFeature('security-reports'), (_req, res) => void res.json({ ok: true }));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports/security`;
      try {
        expect((await fetch(url)).status).to.equal(403);
        await lm.setLicense(license.key, { actor: 'admin' });
        expect(lm.status().license?.features).to.deep.equal(['security-reports', 'sso']);
        const answered = await fetch(url);
        expect(answered.status).to.equal(200);
        expect(await answered.json()).to.deep.equal({ ok: true });
      } finally {
        await new Promise((r) => server.close(r));
        await lm.stop();
      }
    });

    it('one date for one key everywhere (issue 23.6): page, mail, vendor list, inspect and status say "5 February 2026", and 10 days left on its first day', async () => {
      const { privateJwk, publicJwk } = await vendorKeys();
      const registryDb = await dbs.fresh('vrstdates');
      const local = await openRegistry(registryDb, clock.now);
      try {
        const account = await local.addCustomer({ company: 'Acme Corp', accountId: 'A1001' });
        const sub = await local.addSubscription({ account: account.name, plan: 'enterprise', ends: '2026-01-10', users: 50 });
        await local.issue({ privateJwk, subscription: sub.id, serverId: PROD_ID, issuedBy: 'alice', features: ['sso'] });
        clock.set('2026-01-26T10:00:00Z'); // exp is 10 days later, 2026-02-05T10:00Z: its last day is 5 February
        const { license } = await local.emergency({ privateJwk, account: account.name, users: 9, email: 'ops@acme.example', issuedBy: 'bob', ticket: 'SUP-2' });
        const DAY_TEXT = '5 February 2026';

        expect(emergencyMail({ to: 'ops@acme.example', key: license.key, payload: license.claims, ticket: 'SUP-2' }).text).to.contain(
          `through ${DAY_TEXT}, until 10:00:00 UTC that day`,
        );
        if (registryDb.kind === 'sqlite') {
          const listed = await cli(clock, 'vendor', 'list', '--account', account.name, '--registry', registryDb.url);
          expect(listed).to.contain(`valid through ${DAY_TEXT}`).and.not.contain('2026-02-05T10');
        }
        const inspected = await cli(clock, 'inspect', license.key);
        expect(inspected).to.contain(`valid until ${DAY_TEXT} (the last day, UTC)`);

        const hostDb = await dbs.fresh('vrstdateshost');
        const lm = createLicenseManager({
          db: hostDb.config,
          publicKeys: [publicJwk],
          productName: 'Acme Code Scanner',
          baseUrl: 'http://localhost/admin/license',
          authorize: () => true,
          getGlobalAdmins: async () => [],
          now: clock.now,
        });
        await lm.start();
        const app = express();
        app.use('/admin/license', lm.router());
        const server = app.listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        try {
          await lm.setLicense(license.key, { actor: 'admin' });
          const html = await (
            await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/license`, { headers: { accept: 'text/html' } })
          ).text();
          expect(html).to.contain(DAY_TEXT).and.to.contain('10 days left').and.not.contain('11 days left');
        } finally {
          await new Promise((r) => server.close(r));
          await lm.stop();
        }
        if (hostDb.kind === 'sqlite') {
          const { writeFileSync, mkdtempSync } = await import('node:fs');
          const { join } = await import('node:path');
          const { tmpdir } = await import('node:os');
          const keyFile = join(mkdtempSync(join(tmpdir(), 'lm-dates-')), 'public.jwk.json');
          writeFileSync(keyFile, JSON.stringify(publicJwk));
          const status = await cli(clock, 'status', '--db', hostDb.url, '--public-key', keyFile);
          expect(status).to.contain(`valid until ${DAY_TEXT} (10 days left)`);
        }
      } finally {
        await local.close();
      }
    });

    it('refuses with a sentence when the account has licenses but no production license of a paid subscription: nothing to restore', async () => {
      const { privateJwk } = await vendorKeys();
      const account = await registry.addCustomer({ company: 'Hooli', accountId: 'H1' });
      const trial = await registry.addSubscription({ account: account.name, plan: 'trial', ends: '2026-01-10', users: 5 });
      await registry.issue({ privateJwk, subscription: trial.id, serverId: PROD_ID, issuedBy: 'alice', features: ['sso'] });
      await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-01-10', users: 5 });
      clock.set(new Date(GRACE_ENDS + DAY));
      for (const attempt of [
        registry.emergencyPreview({ account: account.name }),
        registry.emergency({ privateJwk, account: account.name, users: 3, email: 'it@hooli.example', issuedBy: 'bob', ticket: 'T-1' }),
      ]) {
        const err = await attempt.then(
          () => undefined,
          (e: unknown) => e as CodedError,
        );
        expect(err?.code).to.equal('EMERGENCY_NOT_ELIGIBLE');
        expect(err?.data.rule).to.equal('nothing_to_restore');
        expect(err?.message).to.equal(
          `No emergency license for ${account.name}: it was never issued a production license under a paid subscription, so there is no edition, feature or limit to restore (an emergency license gives back what production had). Issue a key from its subscription instead.`,
        );
      }
      expect((await registry.list({ account: account.name })).filter((l) => l.emergency)).to.have.length(0);
    });
  },
  ['sqlite', 'postgres'],
);
