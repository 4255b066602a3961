import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { runCli } from '../../helpers/cli.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { TrustedKeys } from '../../../../lib/keys/jwk.js';
import { generateKeyPair } from '../../../../lib/keys/sign.js';
import { verifyRevocationList } from '../../../../lib/revocations/verify.js';
import type { VendorRegistry } from '../../../lib/registry/index.js';
import { clockAt, customerWithLicense, openRegistry, vendorKeys } from './helpers.js';

withDbs('vendor registry: revocations (SPEC 18.2)', (dbs) => {
  const clock = clockAt('2025-12-01T09:00:00Z');
  let registry: VendorRegistry;
  let dbUrl: string;
  beforeEach(async () => {
    clock.set('2025-12-01T09:00:00Z');
    const db = await dbs.fresh('vrev');
    dbUrl = db.url;
    registry = await openRegistry(db, clock.now);
  });
  afterEach(() => registry.close());

  it('records a revocation once, refuses an unknown license, and signs lists with rising numbers', async () => {
    const { license } = await customerWithLicense(registry, clock, { ends: '2026-12-31' });
    clock.set('2025-12-05T10:00:00Z');
    const first = await registry.revoke({ lid: license.lid, reason: 'contract cancelled', issuedBy: 'alice' });
    expect(first).to.deep.include({ lid: license.lid, reason: 'contract cancelled', issuedBy: 'alice' });
    clock.set('2025-12-06T10:00:00Z');
    const again = await registry.revoke({ lid: license.lid, reason: 'other', issuedBy: 'bob' });
    expect(again).to.deep.equal(first); // harmless, keeps the first record
    const err = await registry.revoke({ lid: 'no-such-lid', reason: 'x', issuedBy: 'alice' }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'VALIDATION_FAILED');
    expect((err as Error).message).to.include('no-such-lid');
    expect(await registry.revocations()).to.have.length(1);

    const { privateJwk, publicJwk } = await vendorKeys();
    const one = await registry.revocationList({ privateJwk });
    const two = await registry.revocationList({ privateJwk });
    expect([one.number, two.number]).to.deep.equal([1, 2]);
    const verified = await verifyRevocationList(two.text, new TrustedKeys([publicJwk]));
    expect(verified.payload).to.deep.equal({
      v: 1,
      number: 2,
      issuedAt: Date.parse('2025-12-06T10:00:00Z') / 1000,
      revoked: [{ lid: license.lid, at: Date.parse('2025-12-05T10:00:00Z') / 1000 }],
    });
    const header = JSON.parse(Buffer.from(two.text.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header).to.deep.include({ typ: 'license-revocations+jws', alg: 'EdDSA' });
    const stranger = await generateKeyPair();
    const refused = await verifyRevocationList(two.text, new TrustedKeys([stranger.publicJwk])).catch((e: unknown) => e);
    expect(refused).to.have.property('code', 'KEY_UNKNOWN_KID');
  });

  it('lists made at the same moment never share a number', async () => {
    const { privateJwk } = await vendorKeys();
    const lists = await Promise.all([1, 2, 3, 4].map(() => registry.revocationList({ privateJwk })));
    expect(lists.map((l) => l.number).sort()).to.deep.equal([1, 2, 3, 4]);
  });

  it('vendor revoke and vendor revocations --out through the CLI', async () => {
    const { license } = await customerWithLicense(registry, clock, { ends: '2026-12-31' });
    const cwd = mkdtempSync(join(tmpdir(), 'lm-vrev-'));
    try {
      const { privateJwk, publicJwk } = await vendorKeys();
      writeFileSync(join(cwd, 'private.jwk.json'), JSON.stringify(privateJwk));
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { USER: 'carol' }, now: clock.now, cwd };
      expect(
        await runCli(['vendor', 'revoke', '--license', license.lid, '--reason', 'fraud', '--issued-by', 'dave', '--registry', dbUrl], io),
        stderr,
      ).to.equal(0);
      expect(stdout).to.include(`Revoked ${license.lid}`).and.include('dave');
      expect(await runCli(['vendor', 'revoke', '--license', 'nope', '--reason', 'x', '--registry', dbUrl], io)).to.equal(1);
      expect(stderr).to.include('VALIDATION_FAILED');
      expect(await runCli(['vendor', 'revocations', '--private-key', 'private.jwk.json', '--out', 'list.jws', '--registry', dbUrl], io)).to.equal(0);
      expect(stdout).to.include('number 1 with 1 revoked license written to list.jws');
      const verified = await verifyRevocationList(readFileSync(join(cwd, 'list.jws'), 'utf8'), new TrustedKeys([publicJwk]));
      expect(verified.payload.revoked.map((r) => r.lid)).to.deep.equal([license.lid]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
