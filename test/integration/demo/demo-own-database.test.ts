/**
 * Issue 23.3: the demo seeds lines of code, history and a demo license; pointed at a product's
 * database (DATABASE_URL) it must refuse, with a sentence, and write nothing there.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { withDbs, type TestDb } from '../../helpers/dbs.js';
import { testVendor } from '../../helpers/license-keys.js';
import { createLicenseManager } from '../../../lib/index.js';
import { startDemoHost, type DemoHost } from '../../../examples/demo-host/server.js';
import { DEMO_MARKER_TABLE } from '../../../examples/demo-host/own-database.js';

async function tables(db: TestDb): Promise<string[]> {
  const knex: Knex = knexFactory({ ...db.config, pool: { min: 0, max: 1 } });
  try {
    if (db.kind === 'sqlite') return ((await knex.raw("select name from sqlite_master where type = 'table'")) as { name: string }[]).map((r) => r.name).sort();
    if (db.kind === 'postgres')
      return (
        (await knex.raw('select table_name as name from information_schema.tables where table_schema = current_schema()')) as { rows: { name: string }[] }
      ).rows
        .map((r) => r.name)
        .sort();
    return ((await knex.raw('select table_name as name from information_schema.tables where table_schema = database()')) as [{ name: string }[]])[0]
      .map((r) => r.name)
      .sort();
  } finally {
    await knex.destroy();
  }
}

withDbs(
  'demo host: only its own database (issue 23.3)',
  (dbs) => {
    let demo: DemoHost | undefined;
    const dataDir = () => mkdtempSync(join(tmpdir(), 'lm-demo-own-'));
    afterEach(async () => {
      await demo?.stop();
      demo = undefined;
    });

    it("refuses a product's database (it holds tables) with a sentence, and writes nothing to it", async () => {
      const db = await dbs.fresh('product');
      const knex = knexFactory({ ...db.config, pool: { min: 0, max: 1 } });
      await knex.schema.createTable('projects', (t) => {
        t.increments('id');
        t.string('name');
      });
      await knex('projects').insert({ name: 'billing' });
      await knex.destroy();
      const before = await tables(db);
      let err: Error | undefined;
      try {
        demo = await startDemoHost({ db: db.url, dataDir: dataDir(), port: 0, quiet: true });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.match(
        /^The demo only runs on a database of its own, and .+ is not: it already holds a table the demo did not make \(projects\)\. Nothing was written to it\. Give the demo an empty database/,
      );
      expect(await tables(db)).to.deep.equal(before);
    });

    it("refuses a database holding a License Manager the demo did not make: the product's state stays as it was", async () => {
      const db = await dbs.fresh('hostlm');
      const vendor = await testVendor();
      const host = createLicenseManager({
        db: db.config,
        publicKeys: [vendor.pair.publicJwk],
        productName: 'Product',
        baseUrl: 'http://localhost/admin/license',
        authorize: () => false,
        getGlobalAdmins: async () => [],
      });
      await host.start();
      await host.stop();
      const before = await tables(db);
      let err: Error | undefined;
      try {
        demo = await startDemoHost({ db: db.url, dataDir: dataDir(), port: 0, quiet: true });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.match(/a License Manager among them\. Nothing was written to it\./);
      expect(await tables(db)).to.deep.equal(before);
      const again = createLicenseManager({
        db: db.config,
        publicKeys: [vendor.pair.publicJwk],
        productName: 'Product',
        baseUrl: 'http://localhost/admin/license',
        authorize: () => false,
        getGlobalAdmins: async () => [],
      });
      await again.start();
      try {
        expect(again.status().state).to.equal('none');
        expect(again.status().loc.used).to.equal(0);
      } finally {
        await again.stop();
      }
    });

    it('takes an empty database as its own, marks it, and starts on it again', async () => {
      const db = await dbs.fresh('demoown');
      const dir = dataDir();
      demo = await startDemoHost({ db: db.url, dataDir: dir, port: 0, quiet: true });
      expect(demo.lm.status().state).to.equal('active');
      expect(await tables(db)).to.include(DEMO_MARKER_TABLE);
      await demo.stop();
      demo = await startDemoHost({ db: db.url, dataDir: dir, port: 0, quiet: true });
      expect(await demo.lm.keyHistory()).to.have.length(1);
    });
  },
  ['sqlite', 'postgres'],
);
