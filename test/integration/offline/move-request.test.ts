import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../helpers/dbs.js';
import { copyDatabase } from '../../helpers/copy-db.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';
import { readMoveRequest, MOVE_REQUEST_TYP } from '../../../lib/move/format.js';
import { runCli } from '../../../lib/cli/program.js';
import { FormClient, serve } from '../web/fixture.js';

withDbs('move request after the server ID changed (SPEC 22, instance side)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  it('is signed by the instance key of the old server ID and carries the new ID, its instance key, the lid in force and a reason', async () => {
    const clock = testClock('2026-11-20T18:00:00Z');
    const oldDb = await dbs.fresh();
    const before = await managers.start(oldDb, vendor, clock);
    const key = await vendor.issue({ serverId: before.serverId, sub: 'sub-42', licensee: 'Moving Corp' });
    await before.setLicense(key);
    const oldKid = before.instanceKeyId;
    // the database never moved: nothing to move
    expect((await refusal(before.moveRequest())).code).to.equal('VALIDATION_FAILED');
    await managers.stopAll();

    const newDb = await copyDatabase(dbs, oldDb, dbs.kind === 'sqlite' ? undefined : await dbs.fresh());
    clock.set('2026-11-21T09:00:00Z');
    const moved = await managers.start(newDb, vendor, clock);
    expect(moved.serverId).to.not.equal(before.serverId);
    expect(moved.instanceKeyId).to.not.equal(oldKid);
    const request = await moved.moveRequest({ reason: 'Restored on the new cluster', actor: 'alice' });
    const read = await readMoveRequest(request.text);
    expect(read.signer.kid).to.equal(oldKid);
    expect(read.payload).to.deep.include({
      v: 1,
      oldServerId: before.serverId,
      newServerId: moved.serverId,
      newInstanceKeyId: moved.instanceKeyId,
      sub: 'sub-42',
      licensee: 'Moving Corp',
      reason: 'Restored on the new cluster',
      movedAt: Math.floor(Date.parse('2026-11-21T09:00:00Z') / 1000),
      requestedAt: Math.floor(Date.parse('2026-11-21T09:00:00Z') / 1000),
    });
    expect(read.payload.lid).to.equal(moved.status().license!.lid);
    expect(JSON.parse(Buffer.from(request.text.split('.')[0]!, 'base64url').toString())).to.include({ typ: MOVE_REQUEST_TYP, alg: 'EdDSA' });
    const [entry] = await moved.auditLog({ limit: 1 });
    expect(entry).to.deep.include({ action: 'move_requested', actor: 'alice' });
    expect(entry!.detail).to.deep.equal({ oldServerId: before.serverId, newServerId: moved.serverId, lid: read.payload.lid });

    // without a reason it gives the one recorded; a reason with control characters is refused
    expect((await readMoveRequest((await moved.moveRequest()).text)).payload.reason).to.match(
      /^The server ID changed on 2026-11-21: The database connection identity changed/,
    );
    expect((await refusal(moved.moveRequest({ reason: 'bad\u0007bell' }))).code).to.equal('VALIDATION_FAILED');

    // a tampered request does not verify
    const [h, p, s] = request.text.split('.');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString());
    forged.newServerId = 'ABCDEF01-AAAAAAAAAAAAAAAAAAAA';
    expect((await refusal(readMoveRequest(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`))).code).to.equal('MOVE_REJECTED');
  });

  it('is offered on the page (a download through a form) and by the CLI', async () => {
    const clock = testClock('2026-11-20T18:00:00Z');
    const oldDb = await dbs.fresh();
    const before = await managers.start(oldDb, vendor, clock);
    await before.setLicense(await vendor.issue({ serverId: before.serverId }));
    const oldKid = before.instanceKeyId;
    const web0 = await serve(before.router());
    try {
      expect((await new FormClient(`${web0.origin}/admin/license`).get()).html).to.not.contain('id="move"');
    } finally {
      await web0.close();
    }
    await managers.stopAll();
    const newDb = await copyDatabase(dbs, oldDb, dbs.kind === 'sqlite' ? undefined : await dbs.fresh());
    const moved = await managers.start(newDb, vendor, clock);
    const web = await serve(moved.router());
    try {
      const browser = new FormClient(`${web.origin}/admin/license`);
      const { html, token } = await browser.get();
      expect(html).to.contain('id="move"').and.contain('data-action="move"').and.contain(`data-testid="move-old-id">${before.serverId}<`);
      expect((await browser.post('/move-request', { reason: 'no token' })).res.status).to.equal(403);
      const { res, html: file } = await browser.post('/move-request', { _csrf: token, reason: 'Moved to the new host' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-disposition')).to.contain(`move-request-${moved.serverId}.jws`);
      const read = await readMoveRequest(file);
      expect(read.signer.kid).to.equal(oldKid);
      expect(read.payload.reason).to.equal('Moved to the new host');
    } finally {
      await web.close();
    }
    await managers.stopAll();

    const dir = mkdtempSync(join(tmpdir(), 'lm-move-'));
    try {
      const out: string[] = [];
      const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: { LICENSE_PUBLIC_KEYS_FILE: '' }, now: clock.now, cwd: dir };
      const keyFile = join(dir, 'vendor.pub.json');
      writeFileSync(keyFile, JSON.stringify(vendor.pair.publicJwk));
      const code = await runCli(['move-request', '--db', newDb.url, '--out', 'move.jws', '--reason', 'CLI move', '--public-key', keyFile], io);
      expect(code, out.join('')).to.equal(0);
      expect(out.join('')).to.contain(`from ${before.serverId} to ${moved.serverId}`);
      const read = await readMoveRequest(readFileSync(join(dir, 'move.jws'), 'utf8'));
      expect(read.payload).to.include({ reason: 'CLI move', newServerId: moved.serverId });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
