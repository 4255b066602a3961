/**
 * Real databases for integration tests: `withDbs()` runs a describe per database kind, and each
 * `fresh()` gives a brand-new empty database (dropped after the describe), so tests never share
 * state and can run beside each other. Missing servers print a loud SKIP, or fail under CI=true.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { knexConfigFromUrl, type DbKind } from '../../lib/store/connect.js';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const ALL_KINDS: readonly DbKind[] = ['sqlite', 'postgres', 'mysql'];

export interface TestDb {
  kind: DbKind;
  /** Name of the database (or the SQLite file path). */
  name: string;
  url: string;
  config: Knex.Config;
}

const availability = new Map<DbKind, Promise<string | undefined>>();

/** undefined when reachable, else the reason. */
export function unavailable(kind: DbKind): Promise<string | undefined> {
  if (kind === 'sqlite') return Promise.resolve(undefined);
  let check = availability.get(kind);
  if (!check) {
    check = (async () => {
      const url = kind === 'postgres' ? PG_URL : MYSQL_URL;
      const admin = knexFactory({ ...knexConfigFromUrl(url), pool: { min: 0, max: 1 }, acquireConnectionTimeout: 3000 });
      try {
        await admin.raw('select 1');
        return undefined;
      } catch (err) {
        return `${kind} at ${url.replace(/\/\/[^@]*@/, '//')}: ${(err as Error).message}`;
      } finally {
        await admin.destroy();
      }
    })();
    availability.set(kind, check);
  }
  return check;
}

/** Call in a before(): skips loudly when the server is missing, fails under CI=true. */
export async function requireDb(ctx: Mocha.Context, kind: DbKind): Promise<void> {
  const reason = await unavailable(kind);
  if (!reason) return;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${kind} is not reachable: ${reason}`);
  console.warn(`\n  ######## SKIP: ${kind} tests — ${reason}. Set TEST_PG_URL / TEST_MYSQL_URL. ########\n`);
  ctx.skip();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export class DbFactory {
  private readonly created: TestDb[] = [];
  private readonly dirs: string[] = [];
  constructor(readonly kind: DbKind) {}

  /** A new, empty database of this kind. */
  async fresh(prefix = 'lm'): Promise<TestDb> {
    const name = `${prefix}_t_${randomBytes(5).toString('hex')}`;
    let db: TestDb;
    if (this.kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'lm-test-'));
      this.dirs.push(dir);
      const path = join(dir, `${name}.db`);
      db = { kind: 'sqlite', name: path, url: `sqlite:${path}`, config: knexConfigFromUrl(`sqlite:${path}`) };
    } else {
      const adminUrl = this.kind === 'postgres' ? PG_URL : MYSQL_URL;
      await this.admin(adminUrl, (k) => k.raw(this.kind === 'postgres' ? `create database "${name}"` : `create database \`${name}\``));
      const url = withDatabase(adminUrl, name);
      db = { kind: this.kind, name, url, config: knexConfigFromUrl(url) };
    }
    this.created.push(db);
    return db;
  }

  /** Runs statements on the server's admin database (create role, copy database, ...). */
  async admin<T>(url: string | undefined, work: (k: Knex) => Promise<T>): Promise<T> {
    const target = url ?? (this.kind === 'postgres' ? PG_URL : MYSQL_URL);
    const k = knexFactory({ ...knexConfigFromUrl(target), pool: { min: 0, max: 1 } });
    try {
      return await work(k);
    } finally {
      await k.destroy();
    }
  }

  async dropAll(): Promise<void> {
    for (const db of this.created.splice(0)) {
      if (db.kind === 'sqlite') continue;
      const sql = db.kind === 'postgres' ? `drop database if exists "${db.name}" with (force)` : `drop database if exists \`${db.name}\``;
      await this.admin(undefined, (k) => k.raw(sql)).catch(() => undefined);
    }
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One describe per database kind. The body gets a factory whose databases are dropped after.
 * @example
 * withDbs('key ring', (dbs) => { it('stores keys', async () => { const db = await dbs.fresh(); ... }); });
 */
export function withDbs(title: string, body: (dbs: DbFactory) => void, kinds: readonly DbKind[] = ALL_KINDS): void {
  for (const kind of kinds) {
    describe(`${title} [${kind}]`, () => {
      const dbs = new DbFactory(kind);
      before(async function () {
        await requireDb(this, kind);
      });
      after(async function () {
        // NOTE: PostgreSQL checkpoints on every DROP DATABASE: a describe's dozen drops can take
        // longer than one test's timeout on a loaded machine
        this.timeout(180_000);
        await dbs.dropAll();
      });
      body(dbs);
    });
  }
}
