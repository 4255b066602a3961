import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDbs } from '../../../../test/helpers/dbs.js';
import { copyDatabase } from '../../../../test/helpers/copy-db.js';
import { Managers, testClock } from '../../../../test/helpers/managers.js';
import { startReceiver } from '../../../../test/helpers/webhook-receiver.js';
import type { TestVendor } from '../../../../test/helpers/license-keys.js';
import type { CliIo } from '../../../../lib/cli/io.js';
import { generateKeyPair } from '../../../../lib/keys/sign.js';
import { deriveInstanceKey } from '../../../../lib/instance-key/derive.js';
import { readMoveRequest, signMoveRequest } from '../../../../lib/move/format.js';
import { runCli } from '../../helpers/cli.js';
import { openRegistry } from '../registry/helpers.js';

/** The CLI in-process, in a temporary directory, with the test's clock. */
function cli(now: () => Date) {
  const cwd = mkdtempSync(join(tmpdir(), 'lm-move-loop-'));
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, now, cwd };
    return { code: await runCli(argv, io), stdout, stderr };
  };
  return { cwd, run, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

const keyOf = (stdout: string) => stdout.trim().split('\n').at(-1)!;

withDbs('a move without a ticket, instance to vendor and back (SPEC 22)', (dbs) => {
  const managers = new Managers();
  afterEach(() => managers.stopAll());

  it('moves a database twice: within the budget the key is printed at once, beyond it an engineer approves; each moved instance is active on its new key', async function () {
    this.timeout(180_000);
    const clock = testClock('2026-11-20T18:00:00Z');
    const c = cli(clock.now);
    const hook = await startReceiver();
    try {
      const pair = await generateKeyPair();
      const vendor = { pair } as TestVendor;
      writeFileSync(join(c.cwd, 'vendor.private.json'), JSON.stringify(pair.privateJwk));
      writeFileSync(join(c.cwd, 'vendor.public.json'), JSON.stringify(pair.publicJwk));
      const registryDb = await dbs.fresh('movev');
      const registry = await openRegistry(registryDb, clock.now);
      const account = await registry.addCustomer({ company: 'Moving Corp', accountId: 'M1' });
      const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-06-30', users: 25 });

      // production, licensed, and its instance key pinned by a first usage report
      const prodDb = await dbs.fresh('movep');
      const prod = await managers.start(prodDb, vendor, clock);
      const first = await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: prod.serverId, features: ['sso'], tags: ['true-up'] });
      await prod.setLicense(first.key);
      await registry.importUsageReport((await prod.usageReport()).text);
      await registry.close();
      await managers.stopAll();

      // the database is copied to another place: a new server ID, the old key bridged for 7 days
      clock.set('2026-11-21T02:00:00Z');
      const movedDb = await copyDatabase(dbs, prodDb, dbs.kind === 'sqlite' ? undefined : await dbs.fresh('movem'));
      const moved = await managers.start(movedDb, vendor, clock);
      expect(moved.serverId).to.not.equal(prod.serverId);
      expect(moved.status().details.bridgeUntil).to.not.equal(null);
      writeFileSync(join(c.cwd, 'move1.jws'), (await moved.moveRequest({ reason: 'Restored on the new cluster', actor: 'dba' })).text);
      const r1 = await c.run(
        'vendor',
        'move',
        'import',
        'move1.jws',
        '--registry',
        registryDb.url,
        '--private-key',
        'vendor.private.json',
        '--imported-by',
        'eve',
        '--webhook',
        hook.url,
      );
      expect(r1.code, r1.stderr).to.equal(0);
      expect(r1.stdout).to.contain(`from ${prod.serverId} to ${moved.serverId}`).and.contain('is issued');
      const second = keyOf(r1.stdout);
      await moved.setLicense(second, { actor: 'dba' });
      expect(moved.status().state).to.equal('active');
      expect(moved.status().license).to.include({ serverId: moved.serverId, sub: sub.id, source: 'page' });
      expect(moved.status().license!.features).to.deep.equal(['sso']); // the same contract as the key in force
      expect(moved.status().license!.tags).to.deep.equal(['true-up']);
      expect(moved.status().warnings.map((w) => w.code)).to.not.include('SERVER_ID_CHANGED');
      expect(hook.accepted().map((r) => JSON.parse(r.body).text)).to.satisfy((texts: string[]) =>
        texts.some((t) => t.includes('Move issued within the budget') && t.includes('Restored on the new cluster')),
      );

      // the same request again changes nothing and prints the same key
      const again = await c.run('vendor', 'move', 'import', 'move1.jws', '--registry', registryDb.url, '--private-key', 'vendor.private.json');
      expect(again.stdout).to.contain('already imported');
      expect(keyOf(again.stdout)).to.equal(second);

      let reg = await openRegistry(registryDb, clock.now);
      expect((await reg.getSubscription(sub.id)).productionServerId).to.equal(moved.serverId);
      // the moved instance's reports are now taken under the subscription (its new key is pinned)
      expect((await reg.importUsageReport((await moved.usageReport()).text)).subscription).to.equal(sub.id);
      await reg.close();

      // a budget of one move a year: the next move waits for an engineer, who reads the reason and approves it
      const budget = await c.run('vendor', 'move', 'budget', '--registry', registryDb.url, '--subscription', sub.id, '--per-year', '1', '--actor', 'eve');
      expect(budget.code, budget.stderr).to.equal(0);
      await managers.stopAll();
      clock.set('2026-12-02T02:00:00Z');
      const thirdDb = await copyDatabase(dbs, movedDb, dbs.kind === 'sqlite' ? undefined : await dbs.fresh('movet'));
      const third = await managers.start(thirdDb, vendor, clock);
      writeFileSync(join(c.cwd, 'move2.jws'), (await third.moveRequest({ reason: 'Second data centre', actor: 'dba' })).text);
      const r2 = await c.run(
        'vendor',
        'move',
        'import',
        'move2.jws',
        '--registry',
        registryDb.url,
        '--private-key',
        'vendor.private.json',
        '--imported-by',
        'eve',
        '--webhook',
        hook.url,
      );
      expect(r2.code, r2.stderr).to.equal(0);
      expect(r2.stdout)
        .to.contain('waits for an engineer')
        .and.contain('Beyond the move budget: 1 move in the last 12 months')
        .and.contain('Second data centre');
      reg = await openRegistry(registryDb, clock.now);
      const [waiting] = await reg.moves({ status: 'waiting' });
      expect(waiting).to.include({ subscription: sub.id, oldServerId: moved.serverId, newServerId: third.serverId, reason: 'Second data centre' });
      await reg.close();
      const r3 = await c.run(
        'vendor',
        'move',
        'approve',
        '--registry',
        registryDb.url,
        '--id',
        waiting!.id,
        '--private-key',
        'vendor.private.json',
        '--approved-by',
        'frank',
        '--webhook',
        hook.url,
      );
      expect(r3.code, r3.stderr).to.equal(0);
      await third.setLicense(keyOf(r3.stdout));
      expect(third.status()).to.deep.include({ state: 'active' });
      expect(third.status().license!.serverId).to.equal(third.serverId);
      expect(
        (await c.run('vendor', 'move', 'approve', '--registry', registryDb.url, '--id', waiting!.id, '--private-key', 'vendor.private.json')).code,
      ).to.equal(1);

      reg = await openRegistry(registryDb, clock.now);
      const timeline = (await reg.events({ subscription: sub.id })).map((e) => e.action);
      expect(timeline).to.include.members(['move_issued', 'move_budget_set', 'move_waiting', 'move_approved']);
      await reg.close();
      const posts = hook.accepted().map((r) => JSON.parse(r.body).text as string);
      expect(posts.filter((t) => t.startsWith('Move'))).to.have.length(3);
      expect(posts.some((t) => t.startsWith('Move waiting for an engineer') && t.includes('Second data centre'))).to.equal(true);
      expect(posts.some((t) => t.startsWith('Move approved by frank'))).to.equal(true);
    } finally {
      await hook.stop();
      c.cleanup();
    }
  });

  it('refuses a request signed by another instance, for a server ID no subscription has, or naming another subscription: MOVE_REJECTED, nothing stored', async function () {
    this.timeout(120_000);
    const clock = testClock('2026-11-20T18:00:00Z');
    const pair = await generateKeyPair();
    const vendor = { pair } as TestVendor;
    const registryDb = await dbs.fresh('rejv');
    const registry = await openRegistry(registryDb, clock.now);
    try {
      const account = await registry.addCustomer({ company: 'Careful Corp', accountId: 'C1' });
      const sub = await registry.addSubscription({ account: account.name, plan: 'enterprise', ends: '2027-06-30' });
      const prodDb = await dbs.fresh('rejp');
      const prod = await managers.start(prodDb, vendor, clock);
      await prod.setLicense((await registry.issue({ privateJwk: pair.privateJwk, subscription: sub.id, serverId: prod.serverId })).key);
      await registry.importUsageReport((await prod.usageReport()).text);
      await managers.stopAll();
      const movedDb = await copyDatabase(dbs, prodDb, dbs.kind === 'sqlite' ? undefined : await dbs.fresh('rejm'));
      const moved = await managers.start(movedDb, vendor, clock);
      const genuine = await readMoveRequest((await moved.moveRequest({ reason: 'moved' })).text);

      // the same content signed by another instance's key
      const other = deriveInstanceKey(randomBytes(32).toString('hex'), '0BADC0DE-AAAAAAAAAAAAAAAAAAAA');
      const forged = await signMoveRequest(genuine.payload, other);
      const refused = await registry.importMove({ text: forged, privateJwk: pair.privateJwk, importedBy: 'eve' }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(refused?.code).to.equal('MOVE_REJECTED');
      expect(refused?.message).to.contain(`signed by instance key ${other.kid}`).and.contain(`pinned to instance key ${prod.instanceKeyId}`);

      // a request naming another subscription, and one from a server ID no subscription has
      const wrongSub = await registry
        .importMove({ text: await signMoveRequest({ ...genuine.payload, sub: 'another-subscription' }, other), privateJwk: pair.privateJwk, importedBy: 'eve' })
        .catch((e: { code: string; message: string }) => e);
      expect(wrongSub).to.deep.include({ code: 'MOVE_REJECTED' });
      expect((wrongSub as { message: string }).message).to.contain('names subscription another-subscription');
      const stranger = await registry
        .importMove({
          text: await signMoveRequest({ ...genuine.payload, oldServerId: '0BADC0DE-AAAAAAAAAAAAAAAAAAAA' }, other),
          privateJwk: pair.privateJwk,
          importedBy: 'eve',
        })
        .catch((e: { code: string; message: string }) => e);
      expect((stranger as { message: string }).message).to.contain('no subscription has the server ID 0BADC0DE-AAAAAAAAAAAAAAAAAAAA');
      // a damaged signature
      const [h, p, s] = (await moved.moveRequest({ reason: 'moved' })).text.split('.');
      const damaged = await registry
        .importMove({ text: `${h}.${p}.${s!.slice(0, -4)}AAAA`, privateJwk: pair.privateJwk, importedBy: 'eve' })
        .catch((e: { code: string }) => e);
      expect(damaged).to.deep.include({ code: 'MOVE_REJECTED' });

      expect(await registry.moves()).to.deep.equal([]);
      expect((await registry.getSubscription(sub.id)).productionServerId).to.equal(prod.serverId);
      // the genuine one is then issued
      const ok = await registry.importMove({ text: (await moved.moveRequest({ reason: 'moved' })).text, privateJwk: pair.privateJwk, importedBy: 'eve' });
      expect(ok.move.status).to.equal('issued');
    } finally {
      await registry.close();
    }
  });
});
