/**
 * SPEC 24 "once per cluster": two node processes starting at once on one database with pending
 * migrations both come up, and each migration runs once. To make the race certain rather than
 * likely, the test holds knex's migration lock itself (as a third node in the middle of migrating
 * would) until both nodes have met it and said they wait; then it lets go.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { instanceMigrations } from '../../../migrations/instance/index.js';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { loadReleased, readDump } from '../../helpers/released-db.js';

const SCRIPT = fileURLToPath(new URL('../../helpers/upgrade-node.ts', import.meta.url));

interface Node {
  child: ChildProcess;
  output: () => string;
  /** resolves when the output matches */
  when(pattern: RegExp): Promise<RegExpExecArray>;
}

function startNode(db: TestDb, vendor: TestVendor): Node {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, LM_DB_URL: db.url, LM_PUBLIC_KEY: JSON.stringify(vendor.pair.publicJwk) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const feed = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  return {
    child,
    output: () => out,
    when: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) resolve(m);
          else if (child.exitCode !== null) reject(new Error(`the node exited (${child.exitCode}) before ${pattern}:\n${out}`));
        };
        waiters.push(check);
        child.once('exit', check);
        check();
      }),
  };
}

async function stop(node: Node): Promise<void> {
  if (node.child.exitCode !== null) return;
  const exited = new Promise((r) => node.child.once('exit', r));
  node.child.kill('SIGTERM');
  await exited;
}

withDbs(
  'two nodes starting at once migrate once',
  (dbs) => {
    let vendor: TestVendor;
    const nodes: Node[] = [];
    const knexes: Knex[] = [];
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(async () => {
      await Promise.all(nodes.splice(0).map(stop));
      for (const k of knexes.splice(0)) await k.destroy();
    });

    const cases: Array<[string, (knex: Knex, db: TestDb) => Promise<string[]>]> = [
      ['an empty database (every migration pending)', async () => []],
      [
        'a 0.1.0 database with its rows (the migrations since 0.1.0 pending)',
        async (knex, db) => {
          await loadReleased(knex, '0.1.0', db.kind, 'instance');
          return readDump('0.1.0', db.kind, 'instance').migrations;
        },
      ],
    ];
    for (const [what, prepare] of cases) {
      it(`on ${what}: both wait for the lock another node holds, both come up, each migration ran once`, async function () {
        this.timeout(120_000);
        const db = await dbs.fresh();
        const knex = knexFactory({ ...db.config, pool: { min: 0, max: 1 } });
        knexes.push(knex);
        const before = await prepare(knex, db);
        // a third node in the middle of migrating: knex's lock table with the lock taken
        if (!(await knex.schema.hasTable('license_migrations_lock'))) {
          await knex.schema.createTable('license_migrations_lock', (t) => {
            t.increments('index').primary();
            t.integer('is_locked');
          });
        }
        await knex('license_migrations_lock').insert({ index: 1, is_locked: 1 }).onConflict('index').merge();

        const pair = [startNode(db, vendor), startNode(db, vendor)];
        nodes.push(...pair);
        await Promise.all(pair.map((n) => n.when(/LOG Another node is migrating the database/)));
        expect(await knex('license_migrations_lock').where({ index: 1 }).first('is_locked')).to.deep.equal({ is_locked: 1 });
        await knex('license_migrations_lock').where({ index: 1 }).update({ is_locked: 0 });

        const ports = await Promise.all(pair.map(async (n) => Number((await n.when(/READY (\d+)/))[1])));
        const ids = await Promise.all(
          ports.map(async (port) => ((await (await fetch(`http://127.0.0.1:${port}/admin/license/api/status`)).json()) as { serverId: string }).serverId),
        );
        expect(ids[0])
          .to.match(/^[0-9A-F]{8}-/)
          .and.equal(ids[1]);

        const rows = (await knex('license_migrations').orderBy('id').select('name', 'batch')) as Array<{ name: string; batch: number }>;
        const names = rows.map((r) => r.name);
        expect(names, 'each migration recorded once').to.deep.equal([...new Set(names)]);
        expect(names).to.have.members(Object.keys(instanceMigrations));
        // what the two nodes ran is one batch: one node ran it all
        const ran = rows.filter((r) => !before.includes(r.name));
        expect(ran.length)
          .to.equal(Object.keys(instanceMigrations).length - before.length)
          .and.greaterThan(0);
        expect(new Set(ran.map((r) => Number(r.batch))).size).to.equal(1);
        for (const n of pair) expect(n.output()).not.to.match(/corrupt|MigrationLocked|Error/);
      });
    }
  },
  ['postgres', 'mysql'],
);
