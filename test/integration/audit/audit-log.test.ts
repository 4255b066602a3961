import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { migrateLatest } from '../../../lib/store/migrate.js';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import { dialectOf } from '../../../lib/store/dialects/index.js';
import { ensureServerId } from '../../../lib/server-id/store.js';
import { appendAudit, auditedTransaction, entryHash, listAudit, verifyAudit } from '../../../lib/audit/index.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

const T0 = new Date('2026-11-23T12:00:00Z');

function capture() {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: {},
    now: () => T0,
    cwd: process.cwd(),
  };
  return { io, out };
}

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the promise should have been rejected').to.be.instanceOf(Error);
  expect((err as Error).message).to.equal(message);
}

async function migrated(db: TestDb): Promise<Knex> {
  const knex = knexFactory(db.config);
  await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
  return knex;
}

withDbs(
  'audit log',
  (dbs) => {
    const open: Knex[] = [];
    const connect = async (db: TestDb) => {
      const knex = await migrated(db);
      open.push(knex);
      return knex;
    };
    afterEach(async () => {
      for (const k of open.splice(0)) await k.destroy();
    });

    it('chains entries, lists them newest first, and verifies (CLI exit 0)', async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 0 });
      const first = await appendAudit(knex, { at: T0, actor: 'alice', action: 'license_set', detail: { lid: 'L-1' } });
      // not ASCII: where the database hashes (PostgreSQL), it must hash the same UTF-8 bytes
      const second = await appendAudit(knex, {
        at: new Date(T0.getTime() + 1000),
        actor: 'Zoë Ålund',
        action: 'license_refused',
        detail: { code: 'KEY_BAD_SIGNATURE', note: '“quoted” \\ \n' },
      });
      expect(first).to.include({ id: 1, prevHash: '0'.repeat(64), actor: 'alice', action: 'license_set' });
      expect(second.prevHash).to.equal(first.hash);
      const listed = await listAudit(knex);
      expect(listed.map((e) => e.id)).to.deep.equal([2, 1]);
      expect(listed[0]).to.deep.equal(second);
      expect(listed[1]!.at).to.equal('2026-11-23T12:00:00.000Z');
      expect(await listAudit(knex, { limit: 1 })).to.have.length(1);
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 2 });
      const cli = capture();
      expect(await runCli(['audit', 'verify', '--db', db.url], cli.io), cli.out.stderr).to.equal(0);
      expect(cli.out.stdout).to.equal('The audit log holds: 2 entries verified.\n');
    });

    it('names the first edited entry: audit verify exits 1', async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      for (let i = 1; i <= 5; i++) await appendAudit(knex, { at: T0, actor: 'alice', action: 'threshold_changed', detail: { from: 90, to: 90 - i } });
      await knex('license_audit').where({ id: 3 }).update({ actor: 'mallory' });
      await knex('license_audit').where({ id: 4 }).update({ detail: '{"from":90,"to":10}' });
      expect(await verifyAudit(knex)).to.deep.include({ ok: false, id: 3, entries: 2 });
      const cli = capture();
      expect(await runCli(['audit', 'verify', '--db', db.url], cli.io)).to.equal(1);
      expect(cli.out.stderr).to.match(/^AUDIT_CHAIN_BROKEN: The audit log does not hold at entry 3: /);
    });

    it('names a deleted entry, in the middle and at the end, and a rehashed entry the next one does not follow', async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      for (let i = 0; i < 4; i++) await appendAudit(knex, { at: T0, actor: 'alice', action: 'test_email', detail: { recipients: i } });
      // entry 2 edited and given a correct hash of its new content: entry 3 no longer follows it
      const two = (await listAudit(knex)).find((e) => e.id === 2)!;
      const forged = entryHash(two.prevHash, { ...two, actor: 'mallory' });
      await knex('license_audit').where({ id: 2 }).update({ actor: 'mallory', hash: forged });
      expect(await verifyAudit(knex)).to.deep.include({ ok: false, id: 3, reason: 'entry 3 does not follow the entry before it' });
      await knex('license_audit').where({ id: 2 }).update({ actor: two.actor, hash: two.hash });
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 4 });
      await knex('license_audit').where({ id: 4 }).delete();
      expect(await verifyAudit(knex)).to.deep.include({ ok: false, id: 4, reason: 'entry 4 is missing' });
      await knex('license_audit').where({ id: 2 }).delete();
      expect(await verifyAudit(knex)).to.deep.include({ ok: false, id: 2, reason: 'entry 2 is missing' });
    });

    it('keeps one chain with writers on two connection pools at once', async function () {
      this.timeout(60_000);
      const db = await dbs.fresh();
      const a = await connect(db);
      const b = await connect(db);
      const writers = [a, b, a, b].map(async (knex, w) => {
        for (let i = 0; i < 25; i++) await appendAudit(knex, { at: T0, actor: `writer-${w}`, action: 'threshold_changed', detail: { n: i } });
      });
      await Promise.all(writers);
      expect(await verifyAudit(a)).to.deep.include({ ok: true, entries: 100 });
      const ids = (await a('license_audit').orderBy('id').pluck('id')).map(Number);
      expect(ids).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it('keeps one chain when many appends of one process arrive at once, each caller getting its own entry, audited transactions keeping theirs', async function () {
      this.timeout(60_000);
      const db = await dbs.fresh();
      const knex = await connect(db);
      const appends = Array.from({ length: 120 }, (_, n) =>
        appendAudit(knex, { at: new Date(T0.getTime() + n), actor: `caller-${n}`, action: 'test_email', detail: { recipients: n } }),
      );
      // a change whose transaction fails in the middle of the queue takes its entry with it; one that succeeds keeps it
      const failed = auditedTransaction(knex, async (trx) => {
        await trx('license_settings').insert({ name: 'audit_probe', value: '"rolled back"' });
        throw new Error('the change failed');
      });
      const kept = auditedTransaction(knex, async (trx) => {
        await trx('license_settings').insert({ name: 'audit_probe', value: '"kept"' });
        return { at: T0, actor: 'alice', action: 'threshold_changed', detail: { from: 90, to: 80 } };
      });
      const more = Array.from({ length: 40 }, (_, n) => appendAudit(knex, { at: T0, actor: `late-${n}`, action: 'test_email', detail: { recipients: n } }));
      await expectRejection(failed, 'the change failed');
      const entries = await Promise.all([...appends, kept, ...more]);

      expect(entries.map((e) => e.actor)).to.deep.equal([
        ...Array.from({ length: 120 }, (_, n) => `caller-${n}`),
        'alice',
        ...Array.from({ length: 40 }, (_, n) => `late-${n}`),
      ]);
      expect(entries.slice(0, 120).map((e) => e.detail.recipients)).to.deep.equal(Array.from({ length: 120 }, (_, n) => n));
      expect(new Set(entries.map((e) => e.id)).size).to.equal(161);
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 161 });
      const stored = new Map((await listAudit(knex, { limit: 500 })).map((e) => [e.id, e]));
      for (const entry of entries) expect(stored.get(entry.id)).to.deep.equal(entry);
      expect(await knex('license_settings').where({ name: 'audit_probe' }).pluck('value')).to.deep.equal(['"kept"']);
    });

    it("appends inside a caller's transaction and rolls back with it", async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      await appendAudit(knex, { at: T0, actor: 'alice', action: 'license_set', detail: { lid: 'kept' } });
      // NOTE: only the abort may reject: an append that failed inside would reject otherwise
      let inside: number | undefined;
      await expectRejection(
        knex.transaction(async (trx) => {
          inside = (await appendAudit(trx, { at: T0, actor: 'alice', action: 'license_set', detail: { lid: 'rolled back' } })).id;
          throw new Error('abort');
        }),
        'abort',
      );
      expect(inside).to.equal(2);
      await appendAudit(knex, { at: T0, actor: 'alice', action: 'license_retired', detail: { lid: 'kept' } });
      expect((await listAudit(knex)).map((e) => e.detail.lid)).to.deep.equal(['kept', 'kept']);
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 2 });
    });

    it('refuses an unknown action, an address or a key text, storing nothing', async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      await expectTypeError(appendAudit(knex, { at: T0, actor: 'a', action: 'dropped_table' as never }));
      await expectTypeError(appendAudit(knex, { at: T0, actor: 'a', action: 'test_email', detail: { to: 'ops@example.com' } }));
      expect(await listAudit(knex)).to.deep.equal([]);
      const entry = await appendAudit(knex, { at: T0, actor: 'carol@example.com', action: 'test_email', detail: { recipients: 1 } });
      expect(entry.actor).to.equal('carol');
    });

    it('records a server ID change as a chained entry', async () => {
      const db = await dbs.fresh();
      const knex = await connect(db);
      const dialect = dialectOf(knex);
      const before = await ensureServerId(knex, dialect, 'sqlite:///old/place.db', T0);
      const after = await ensureServerId(knex, dialect, 'sqlite:///new/place.db', T0);
      const [entry] = await listAudit(knex);
      expect(entry).to.deep.include({ actor: 'system', action: 'server_id_changed', detail: { oldId: before.serverId, newId: after.serverId } });
      expect(await verifyAudit(knex)).to.deep.include({ ok: true, entries: 1 });
    });
  },
  ['sqlite', 'postgres', 'mysql'],
);

describe('audit verify CLI', () => {
  it('refuses a SQLite path that does not exist instead of creating an empty database', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lm-audit-')), 'missing.db');
    const cli = capture();
    expect(await runCli(['audit', 'verify', '--db', `sqlite:${path}`], cli.io)).to.equal(2);
    expect(cli.out.stderr).to.include('There is no SQLite database at');
    expect(existsSync(path)).to.equal(false);
  });
});

async function expectTypeError(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(TypeError);
    return;
  }
  expect.fail('expected a TypeError');
}
