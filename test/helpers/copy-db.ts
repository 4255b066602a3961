import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import knexFactory from 'knex';
import { knexConfigFromUrl } from '../../lib/store/connect.js';
import type { DbFactory, TestDb } from './dbs.js';

/**
 * A full copy of a database under a new name, as an administrator does when refreshing staging
 * from production (pg: CREATE DATABASE … TEMPLATE; MariaDB: table by table; SQLite: the file).
 * When `into` is given, that database's tables are replaced (a re-copy over the same staging DB).
 */
export async function copyDatabase(dbs: DbFactory, from: TestDb, into?: TestDb): Promise<TestDb> {
  if (from.kind === 'sqlite') {
    const target = into?.name ?? join(dirname(from.name), `copy_${Math.random().toString(36).slice(2)}.db`);
    copyFileSync(from.name, target);
    // a WAL-mode file (withSqliteDefaults) keeps its latest commits in `-wal` until a checkpoint:
    // the copy takes it too, as a file-level backup of a SQLite database in WAL mode must
    if (existsSync(`${from.name}-wal`)) copyFileSync(`${from.name}-wal`, `${target}-wal`);
    else rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    return into ?? { kind: 'sqlite', name: target, url: `sqlite:${target}`, config: knexConfigFromUrl(`sqlite:${target}`) };
  }
  const target = into ?? (await dbs.fresh('copy'));
  if (from.kind === 'postgres') {
    await dbs.admin(undefined, async (k) => {
      await k.raw(`drop database "${target.name}" with (force)`);
      await k.raw(`create database "${target.name}" template "${from.name}"`);
    });
    return target;
  }
  const k = knexFactory({ ...knexConfigFromUrl(from.url), pool: { min: 0, max: 1 } });
  try {
    const [tables] = (await k.raw('show tables')) as [Array<Record<string, string>>];
    for (const row of tables) {
      const table = Object.values(row)[0]!;
      await k.raw(`drop table if exists \`${target.name}\`.\`${table}\``);
      await k.raw(`create table \`${target.name}\`.\`${table}\` like \`${from.name}\`.\`${table}\``);
      await k.raw(`insert into \`${target.name}\`.\`${table}\` select * from \`${from.name}\`.\`${table}\``);
    }
  } finally {
    await k.destroy();
  }
  return target;
}
