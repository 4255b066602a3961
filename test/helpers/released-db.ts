/**
 * Released databases as test fixtures (SPEC 24): `test/fixtures/schema/<version>/<kind>/` holds,
 * for the instance and the vendor registry, the schema that version's migrations built and the
 * rows its own code wrote (test/fixtures/schema/generate.ts makes them). `loadReleased()` builds
 * that database again in a fresh test database: the version's own migrations (kept frozen beside
 * the fixture), then its rows.
 *
 * Secrets of the fixture instance (its instance key secret, CSRF and session secrets, session
 * IDs) are not committed: the dump keeps a placeholder naming the shape, and loading puts a new
 * random value of that shape in its place.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type { DbKind } from '../../lib/store/connect.js';
import { migrateLatest, type Migration } from '../../lib/store/migrate.js';
import { connectionIdentity } from '../../lib/server-id/identity.js';
import { checksumOf } from '../../lib/server-id/derive.js';
import type { SchemaShape } from './schema.js';
import type { LicenseState } from '../../lib/license/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'schema');

export type Side = 'instance' | 'registry';
export const MIGRATIONS_TABLE: Record<Side, string> = { instance: 'license_migrations', registry: 'vendor_migrations' };
export const TABLE_PREFIX: Record<Side, string> = { instance: 'license_', registry: 'vendor_' };

type Row = Record<string, unknown>;

export interface ReleasedDump {
  version: string;
  /** the migrations that version ran, in order */
  migrations: string[];
  schema: SchemaShape;
  rows: Record<string, Row[]>;
}

/** What the released code itself reported about the instance it filled (seed-<version>.ts). */
export interface ReleasedExpectations {
  now: string;
  vendorPublicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: string };
  serverId: string;
  instanceKeyId: string;
  status: {
    state: LicenseState;
    license: { lid: string; features: string[] } | null;
    loc: { used: number; limit: number | null; threshold: number };
    users?: { used: number; limit: number | null };
  };
  keys: Array<{ lid: string; state: LicenseState; current: boolean; retired: boolean }>;
  issuedLid: string;
  revokedLid: string;
}

/** Columns whose values are secrets of the fixture instance: dumped as a placeholder. */
export const SECRET_COLUMNS: Record<string, readonly string[]> = {
  license_identity: ['key_secret'],
  license_secrets: ['value'],
  vendor_portal_settings: ['value'],
  vendor_sessions: ['sid'],
};

/** `$secret:hex:64` or `$secret:b64u:43`: the shape of the value it stands for. */
export function secretPlaceholder(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return /^[0-9a-f]+$/.test(value) ? `$secret:hex:${value.length}` : `$secret:b64u:${value.length}`;
}

function freshSecret(placeholder: unknown): unknown {
  const m = typeof placeholder === 'string' ? /^\$secret:(hex|b64u):(\d+)$/.exec(placeholder) : null;
  if (!m) return placeholder;
  const length = Number(m[2]);
  const text = m[1] === 'hex' ? randomBytes(Math.ceil(length / 2)).toString('hex') : randomBytes(length).toString('base64url');
  return text.slice(0, length);
}

export function releasedVersions(): string[] {
  return JSON.parse(readFileSync(join(FIXTURES, 'versions.json'), 'utf8')) as string[];
}

export function readDump(version: string, kind: DbKind, side: Side): ReleasedDump {
  return JSON.parse(readFileSync(join(FIXTURES, version, kind, `${side}.json`), 'utf8')) as ReleasedDump;
}

export function readExpectations(version: string, kind: DbKind): ReleasedExpectations {
  return JSON.parse(readFileSync(join(FIXTURES, version, kind, 'expect.json'), 'utf8')) as ReleasedExpectations;
}

/** The frozen migrations of a released version (test/fixtures/schema/<version>/migrations/<side>). */
export async function releasedMigrations(version: string, side: Side): Promise<Record<string, Migration>> {
  const folder = side === 'instance' ? 'instance' : 'vendor';
  const mod = (await import(join(FIXTURES, version, 'migrations', folder, 'index.ts'))) as { migrations: Record<string, Migration> };
  return mod.migrations;
}

/** Builds the released version's schema with its own migrations. */
export async function migrateReleased(knex: Knex, version: string, side: Side): Promise<void> {
  await migrateLatest(knex, { tableName: MIGRATIONS_TABLE[side], migrations: await releasedMigrations(version, side) });
}

/**
 * Inserts the dumped rows (tables in the order of the dump, parents first), with fresh secrets.
 * The instance's identity row is moved to this test database as if it had always been here: the
 * stored server ID is kept and its checksum is made for this connection, so the instance does not
 * see a moved database (a different SPEC 4 case, tested elsewhere).
 */
export async function insertRows(knex: Knex, dump: ReleasedDump): Promise<void> {
  // rows the migrations seed (the audit head, the job lease) are in the dump as the version left them
  for (const table of Object.keys(dump.rows).reverse()) await knex(table).del();
  for (const [table, rows] of Object.entries(dump.rows)) {
    if (rows.length === 0) continue;
    const secret = SECRET_COLUMNS[table] ?? [];
    const ready = rows.map((r) => {
      const out: Row = { ...r };
      for (const c of secret) out[c] = freshSecret(out[c]);
      for (const [c, shape] of Object.entries(dump.schema[table]?.columns ?? {})) {
        if (/timestamp|datetime/.test(shape.type) && typeof out[c] === 'string') out[c] = new Date(out[c] as string);
      }
      if (table === 'license_identity') {
        const identity = connectionIdentity(knex);
        Object.assign(out, { identity, checksum: checksumOf(String(out.server_id), identity) });
      }
      return out;
    });
    for (let i = 0; i < ready.length; i += 100) await knex(table).insert(ready.slice(i, i + 100));
  }
  await resetSequences(knex, dump);
}

/**
 * PostgreSQL's serial columns do not move when rows are inserted with their IDs; a restored dump
 * (pg_dump's setval) moves them. Without this the next insert would reuse ID 1.
 */
async function resetSequences(knex: Knex, dump: ReleasedDump): Promise<void> {
  if ((knex.client.config as Knex.Config).client !== 'pg') return;
  for (const [table, shape] of Object.entries(dump.schema)) {
    for (const [column, c] of Object.entries(shape.columns)) {
      if (c.default !== 'autoincrement' || !dump.rows[table]?.length) continue;
      await knex.raw(`select setval(pg_get_serial_sequence(?, ?), (select max(??) from ??))`, [table, column, column, table]);
    }
  }
}

/** A released database of this side: its migrations, then its rows. */
export async function loadReleased(knex: Knex, version: string, kind: DbKind, side: Side): Promise<ReleasedDump> {
  const dump = readDump(version, kind, side);
  await migrateReleased(knex, version, side);
  await insertRows(knex, dump);
  return dump;
}

/** Values as text, so that a BIGINT read as a string (pg) compares equal to the same number. */
const asText = (v: unknown): string => (v === null || v === undefined ? 'null' : v instanceof Date ? v.toISOString() : String(v));

/**
 * The dumped rows the database no longer holds, value for value, as short sentences (empty when
 * every row is still there). Secret columns are skipped (they were replaced when loaded), and so are
 * the columns named in `skip`.
 */
export async function missingRows(knex: Knex, dump: ReleasedDump, skip: Record<string, readonly string[]> = {}): Promise<string[]> {
  const missing: string[] = [];
  for (const [table, rows] of Object.entries(dump.rows)) {
    const ignored = new Set([...(SECRET_COLUMNS[table] ?? []), ...(skip[table] ?? [])]);
    const now = (await knex(table).select('*')) as Row[];
    for (const row of rows) {
      const found = now.some((r) => Object.entries(row).every(([c, v]) => ignored.has(c) || asText(r[c]) === asText(v)));
      if (!found) missing.push(`${table}: ${JSON.stringify(row).slice(0, 200)}`);
    }
  }
  return missing;
}
