import { expect } from 'chai';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knexConfigFromUrl } from '../../../lib/store/connect.js';
import knexFactory, { type Knex } from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { copyDatabase } from '../../helpers/copy-db.js';
import { connectionIdentity } from '../../../lib/server-id/identity.js';
import { ensureServerId } from '../../../lib/server-id/store.js';
import { datasetOf } from '../../../lib/server-id/derive.js';
import { dialectOf } from '../../../lib/store/dialects/index.js';
import { migrateLatest } from '../../../lib/store/migrate.js';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import { listEvents } from '../../../lib/store/events.js';
import { SERVER_ID_PATTERN } from '../../../lib/keys/claims.js';

const now = new Date('2026-11-23T10:00:00Z');

/** Starts "an instance" on a connection config: migrate, then settle the server ID. */
async function serverIdOn(config: Knex.Config) {
  const knex = knexFactory({ ...config, pool: { ...config.pool, min: 0, max: 2 } });
  try {
    await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
    return await ensureServerId(knex, dialectOf(knex), connectionIdentity(knex), now);
  } finally {
    await knex.destroy();
  }
}

const withConnection = (db: TestDb, patch: Record<string, unknown>, extra: Partial<Knex.Config> = {}): Knex.Config => ({
  ...db.config,
  ...extra,
  connection: { ...(db.config.connection as object), ...patch },
});

withDbs('server ID', (dbs) => {
  it('has the SPEC format and is kept when the same database starts again', async () => {
    const db = await dbs.fresh();
    const first = await serverIdOn(db.config);
    expect(first.serverId).to.match(SERVER_ID_PATTERN);
    expect(first.changed).to.equal(undefined);
    expect((await serverIdOn(db.config)).serverId).to.equal(first.serverId);
  });

  it('is the same through another user and password, another letter case of the host, and the default port written out', async () => {
    const db = await dbs.fresh();
    const { serverId } = await serverIdOn(db.config);
    if (db.kind === 'sqlite') {
      // SQLite has no user or host: the same file through a path with "..": same real path
      const dotted = db.name.replace(/\/([^/]+)$/, `/../${db.name.split('/').slice(-2, -1)[0]}/$1`);
      expect((await serverIdOn({ ...db.config, connection: { filename: dotted } })).serverId).to.equal(serverId);
      return;
    }
    const user = `lm_u_${Math.random().toString(36).slice(2, 8)}`;
    if (db.kind === 'postgres') {
      await dbs.admin(undefined, async (k) => {
        await k.raw(`create role ${user} login password 'secret' superuser`);
      });
    } else {
      await dbs.admin(undefined, async (k) => {
        await k.raw(`create user '${user}'@'%' identified by 'secret'`);
        await k.raw(`create user '${user}'@'localhost' identified by 'secret'`);
        await k.raw(`grant all on \`${db.name}\`.* to '${user}'@'%'`);
        await k.raw(`grant all on \`${db.name}\`.* to '${user}'@'localhost'`);
      });
    }
    try {
      expect((await serverIdOn(withConnection(db, { user, password: 'secret' }))).serverId).to.equal(serverId);
      const port = db.kind === 'postgres' ? 5432 : 3306;
      const host = (db.config.connection as { host: string }).host;
      expect((await serverIdOn(withConnection(db, { port }))).serverId).to.equal(serverId);
      expect(connectionIdentity(withConnection(db, { host: host.toUpperCase() }))).to.equal(connectionIdentity(withConnection(db, { host })));
      if (host === 'localhost') expect((await serverIdOn(withConnection(db, { host: 'LocalHost' }))).serverId).to.equal(serverId);
    } finally {
      await dbs.admin(undefined, (k) => (db.kind === 'postgres' ? k.raw(`drop role ${user}`) : k.raw(`drop user '${user}'@'%', '${user}'@'localhost'`)));
    }
  });

  it('gives another ID for another host, port, database or schema name', async () => {
    const db = await dbs.fresh();
    const base = connectionIdentity(db.config);
    if (db.kind === 'sqlite') {
      expect(connectionIdentity({ ...db.config, connection: { filename: `${db.name}.other` } })).to.not.equal(base);
      return;
    }
    expect(connectionIdentity(withConnection(db, { host: 'db.example.internal' }))).to.not.equal(base);
    expect(connectionIdentity(withConnection(db, { port: 6543 }))).to.not.equal(base);
    expect(connectionIdentity(withConnection(db, { database: `${db.name}_other` }))).to.not.equal(base);
    if (db.kind === 'postgres') {
      expect(connectionIdentity({ ...db.config, searchPath: ['tenant_a'] })).to.not.equal(base);
      expect(connectionIdentity({ ...db.config, searchPath: ['tenant_a'] })).to.not.equal(connectionIdentity({ ...db.config, searchPath: ['tenant_b'] }));
      // a started instance on another schema of the same database gets its own ID
      const { serverId } = await serverIdOn(db.config);
      await dbs.admin(db.url, (k) => k.raw('create schema tenant_a'));
      const other = await serverIdOn({ ...db.config, searchPath: ['tenant_a'] });
      expect(other.serverId).to.not.equal(serverId);
    }
  });

  it('gives a copy of the database a new ID with the same dataset part, and records why', async () => {
    const prod = await dbs.fresh();
    const { serverId: prodId } = await serverIdOn(prod.config);
    const staging = await copyDatabase(dbs, prod);
    const moved = await serverIdOn(staging.config);
    expect(moved.serverId).to.not.equal(prodId);
    expect(datasetOf(moved.serverId)).to.equal(datasetOf(prodId));
    expect(moved.changed).to.deep.include({ oldId: prodId, newId: moved.serverId });
    const k = knexFactory(staging.config);
    try {
      const [event] = await listEvents(k, 'server_id_changed');
      expect(event!.data).to.deep.include({ oldId: prodId, newId: moved.serverId });
      expect(String(event!.data.reason)).to.match(/moved, renamed, copied or restored/);
    } finally {
      await k.destroy();
    }
    // production itself is untouched
    expect((await serverIdOn(prod.config)).serverId).to.equal(prodId);
  });

  it('gives staging the ID of its first copy again on every later re-copy from production', async () => {
    const prod = await dbs.fresh();
    const { serverId: prodId } = await serverIdOn(prod.config);
    const staging = await copyDatabase(dbs, prod);
    const first = (await serverIdOn(staging.config)).serverId;
    await copyDatabase(dbs, prod, staging);
    const second = await serverIdOn(staging.config);
    expect(second.serverId).to.equal(first);
    expect(second.serverId).to.not.equal(prodId);
  });

  it("gives a new ID when another instance's data is restored, and a new dataset part on an empty database", async () => {
    const a = await dbs.fresh();
    const b = await dbs.fresh();
    const idA = (await serverIdOn(a.config)).serverId;
    const idB = (await serverIdOn(b.config)).serverId;
    expect(datasetOf(idA)).to.not.equal(datasetOf(idB));
    await copyDatabase(dbs, b, a); // B's backup restored into A's database
    const restored = (await serverIdOn(a.config)).serverId;
    expect(restored).to.not.equal(idA);
    expect(restored).to.not.equal(idB);
    // reinstall: an empty database again under A's connection
    const fresh = await dbs.fresh();
    expect(datasetOf((await serverIdOn(fresh.config)).serverId)).to.not.be.oneOf([datasetOf(idA), datasetOf(idB)]);
  });
});

// NOTE: SQLite is the embedded, single-node store; better-sqlite3 is synchronous, so nodes in one
// process would only block each other. Clusters share PostgreSQL or MariaDB.
withDbs(
  'server ID in a cluster',
  (dbs) => {
    it('lets nodes that start at once on a new database agree on one ID', async () => {
      const db = await dbs.fresh();
      const ids = await Promise.all(Array.from({ length: 6 }, () => serverIdOn(db.config)));
      expect(new Set(ids.map((r) => r.serverId)).size).to.equal(1);
    });

    it('lets nodes that start at once on a moved database agree on one ID and record one event', async () => {
      const prod = await dbs.fresh();
      await serverIdOn(prod.config);
      const copy = await copyDatabase(dbs, prod);
      const results = await Promise.all(Array.from({ length: 4 }, () => serverIdOn(copy.config)));
      expect(new Set(results.map((r) => r.serverId)).size).to.equal(1);
      expect(results.filter((r) => r.changed).length).to.equal(1);
    });
  },
  ['postgres', 'mysql'],
);

withDbs('server ID of an SQLite file', () => {
  it('keeps the ID of an SQLite file reached through a symlinked folder, from its very first start', async () => {
    const real = mkdtempSync(join(tmpdir(), 'lm-real-'));
    const link = `${real}-link`;
    symlinkSync(real, link);
    const config = knexConfigFromUrl(`sqlite:${join(link, 'data.db')}`);
    const first = await serverIdOn(config);
    const second = await serverIdOn(config);
    expect(second.serverId).to.equal(first.serverId);
    expect(second.changed).to.equal(undefined);
  });
}, ['sqlite']);
