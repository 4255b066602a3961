/**
 * An instance database with its server ID and instance key, and daily snapshots written as the
 * job writes them: the source of real usage reports (SPEC 18.1) for vendor-side tests.
 */
import knexFactory from 'knex';
import type { DbFactory } from './dbs.js';
import { migrateLatest } from '../../lib/store/migrate.js';
import { instanceMigrations } from '../../migrations/instance/index.js';
import { dialectOf } from '../../lib/store/dialects/index.js';
import { connectionIdentity } from '../../lib/server-id/identity.js';
import { ensureServerId } from '../../lib/server-id/store.js';
import { loadInstanceKey } from '../../lib/instance-key/store.js';
import { generateUsageReport } from '../../lib/usage-report/generate.js';

export async function usageInstance(dbs: DbFactory) {
  const db = await dbs.fresh('inst');
  const knex = knexFactory(db.config);
  await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
  const { serverId } = await ensureServerId(knex, dialectOf(knex), connectionIdentity(knex), new Date('2026-01-01T00:00:00Z'));
  const instanceKey = await loadInstanceKey(knex, serverId);
  const snapshot = (day: string, loc: number, users: number) =>
    knex('license_loc_snapshots').insert({ day, used: loc, users, limit_loc: 1000, limit_users: 10, taken_at: Date.parse(day) });
  const report = (at: string, license: { lid: string; sub: string; licensee: string } | null = null, period: { from?: string; to?: string } = {}) =>
    generateUsageReport({ knex, dialect: dialectOf(knex), serverId, instanceKey, license: license as never, now: new Date(at) }, period);
  return { knex, serverId, instanceKey, snapshot, report };
}
