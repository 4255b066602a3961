import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import type { LicenseManager } from '../../../lib/index.js';

withDbs('lines of code and limits', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  const licensed = async (limits: { loc?: number; users?: number }, tags: string[] = []): Promise<LicenseManager> => {
    const lm = await managers.start(await dbs.fresh(), vendor, testClock('2026-11-23T12:00:00Z'));
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, limits, tags }));
    return lm;
  };

  it("counts the sum of each project's largest branch, as soon as an analysis or a removal resolves", async () => {
    const lm = await licensed({ loc: 10_000 });
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 1200 });
    expect(lm.status().loc.used).to.equal(1200);
    await lm.recordAnalysis({ project: 'api', branch: 'feature-x', loc: 1500 });
    await lm.recordAnalysis({ project: 'web', branch: 'main', loc: 800 });
    expect(lm.status().loc).to.include({ used: 2300, limit: 10_000, percent: 23 });
    await lm.recordAnalysis({ project: 'api', branch: 'feature-x', loc: 900 }); // re-analysed smaller
    expect(lm.status().loc.used).to.equal(2000);
    await lm.removeBranch('api', 'main');
    expect(lm.status().loc.used).to.equal(1700);
    await lm.removeProject('web');
    expect(lm.status().loc.used).to.equal(900);
    const usage = await lm.locUsage();
    expect(usage).to.include({ total: 1, next: null });
    expect(usage.projects[0]).to.include({ project: 'api', branch: 'feature-x', loc: 900, share: 9 });
    await lm.removeBranch('api', 'feature-x');
    expect(lm.status().loc.used).to.equal(0);
    expect(await lm.locUsage()).to.deep.equal({ total: 0, projects: [], next: null });
  });

  it('keeps the project maximum right when branches of one project are analysed at the same time', async () => {
    const lm = await licensed({});
    await Promise.all(Array.from({ length: 12 }, (_, i) => lm.recordAnalysis({ project: 'mono', branch: `b${i}`, loc: 100 * (i + 1) })));
    expect((await lm.refresh()).loc.used).to.equal(1200);
  });

  it('keeps names apart that differ only in letter case or trailing space', async () => {
    const lm = await licensed({});
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 1000 });
    await lm.recordAnalysis({ project: 'API', branch: 'main', loc: 500 });
    await lm.recordAnalysis({ project: 'web', branch: 'main', loc: 10 });
    await lm.recordAnalysis({ project: 'web ', branch: 'main', loc: 7 });
    expect(lm.status().loc.used).to.equal(1517);
  });

  it('refuses an analysis over a hard cap, up to the limit exactly', async () => {
    const lm = await licensed({ loc: 1000 });
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 600 });
    expect(await lm.checkAnalysis({ project: 'web', branch: 'main', loc: 400 })).to.include({ allowed: true, after: 1000 });
    expect(await lm.checkAnalysis({ project: 'api', branch: 'main', loc: 1000 })).to.include({ allowed: true, after: 1000 });
    const err = await lm.checkAnalysis({ project: 'web', branch: 'main', loc: 401 }).catch((e: Error) => e);
    expect(err).to.have.property('code', 'LOC_LIMIT_EXCEEDED');
    expect((err as Error).message)
      .to.include('1001')
      .and.include('1000');
    expect(lm.status().loc.used).to.equal(600); // a check stores nothing
  });

  it('lets an instance over its hard cap analyse code that does not add lines', async () => {
    const lm = await licensed({ loc: 1000 });
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 1400 }); // recorded before the check existed
    expect(await lm.checkAnalysis({ project: 'api', branch: 'main', loc: 1200 })).to.include({ allowed: true, after: 1200 });
    expect(await lm.checkAnalysis({ project: 'api', branch: 'main', loc: 1401 }).catch((e: Error) => e)).to.have.property('code', 'LOC_LIMIT_EXCEEDED');
  });

  it('allows going over with a warning when the license has the true-up tag (soft cap)', async () => {
    const lm = await licensed({ loc: 1000, users: 5 }, ['true-up']);
    const decision = await lm.checkAnalysis({ project: 'api', branch: 'main', loc: 1500 });
    expect(decision).to.include({ allowed: true, after: 1500, limit: 1000 });
    expect(decision.warning?.code).to.equal('LOC_OVER_LIMIT_SOFT');
    await lm.recordAnalysis({ project: 'api', branch: 'main', loc: 1500 });
    expect(lm.status().loc).to.include({ softCap: true, percent: 150 });
    expect(lm.status().warnings.map((w) => w.code)).to.include('LOC_OVER_LIMIT_SOFT');
    expect((await lm.checkUsers(6)).warning?.code).to.equal('USERS_OVER_LIMIT_SOFT');
  });

  it('checks the user count against limits.users', async () => {
    const lm = await licensed({ users: 25 });
    expect(await lm.checkUsers(25)).to.include({ allowed: true, limit: 25 });
    expect(await lm.checkUsers(26).catch((e: Error) => e)).to.have.property('code', 'USER_LIMIT_EXCEEDED');
    expect(await lm.checkUsers(-1).catch((e: Error) => e)).to.have.property('code', 'VALIDATION_FAILED');
  });

  it('refuses a bad analysis with VALIDATION_FAILED and stores nothing', async () => {
    const lm = await licensed({});
    for (const bad of [
      { project: '', branch: 'main', loc: 1 },
      { project: 'p', branch: 'main', loc: -1 },
      { project: 'p', branch: 'main', loc: 1.5 },
      { project: 'p', branch: 'x'.repeat(256), loc: 1 },
    ]) {
      expect(await lm.recordAnalysis(bad).catch((e: Error) => e)).to.have.property('code', 'VALIDATION_FAILED');
    }
    expect(lm.status().loc.used).to.equal(0);
  });

  it('moves the threshold, refusing values outside 1–100', async () => {
    const lm = await licensed({ loc: 1000 });
    expect((await lm.setLocThreshold(75)).loc.threshold).to.equal(75);
    expect(await lm.setLocThreshold(0).catch((e: Error) => e)).to.have.property('code', 'VALIDATION_FAILED');
    expect(await lm.setLocThreshold(101).catch((e: Error) => e)).to.have.property('code', 'VALIDATION_FAILED');
    expect(lm.status().loc.threshold).to.equal(75);
  });
});

// NOTE: SQLite has one writer at a time; races between nodes are a matter of the servers.
withDbs(
  'lines of code in a cluster',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(() => managers.stopAll());

    it('stays consistent when analyses and removals of the same projects race on two nodes', async () => {
      const db = await dbs.fresh();
      const clock = testClock('2026-11-23T12:00:00Z');
      const a = await managers.start(db, vendor, clock);
      const b = await managers.start(db, vendor, clock);
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 150; i++) {
        const project = `p${i % 6}`;
        work.push(a.recordAnalysis({ project, branch: `b${i % 3}`, loc: 100 + i }));
        work.push(i % 3 === 0 ? b.removeProject(project) : b.removeBranch(project, `b${(i + 1) % 3}`));
      }
      await Promise.all(work);
      const knex = a.knex;
      const maxima = await knex('license_loc_branches').select('project').max({ loc: 'loc' }).groupBy('project');
      const expected = (maxima as Array<{ loc: number | string }>).reduce((sum, r) => sum + Number(r.loc), 0);
      expect((await a.refresh()).loc.used).to.equal(expected);
      const orphans = await knex('license_loc_branches').whereNotIn('project', knex('license_loc_projects').select('project')).count({ n: '*' }).first();
      expect(Number(orphans?.n)).to.equal(0);
    });
  },
  ['postgres', 'mysql'],
);

withDbs(
  'requireFeature middleware',
  (dbs) => {
    const managers = new Managers();
    afterEach(() => managers.stopAll());

    it('answers 403 naming the feature and the state, and lets the request through when licensed', async () => {
      const vendor = await testVendor();
      const lm = await managers.start(await dbs.fresh(), vendor, testClock('2026-11-23T12:00:00Z'));
      const app = express();
      app.get('/sso', lm.requireFeature('sso'), (_req, res) => {
        res.json({ ok: true });
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sso`;
      try {
        const refused = await fetch(url);
        expect(refused.status).to.equal(403);
        const body = (await refused.json()) as { error: { code: string; message: string } };
        expect(body.error.code).to.equal('FEATURE_NOT_LICENSED');
        expect(body.error.message).to.include('"sso"').and.include('none');
        // a browser gets a small page in words, not JSON (SPEC 16); an API client keeps JSON
        const page = await fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
        expect([page.status, page.headers.get('content-type')]).to.deep.equal([403, 'text/html; charset=utf-8']);
        const html = await page.text();
        expect(html).to.include('<h1>This feature is not available</h1>').and.include('<code>sso</code>');
        // issue 23.7: words for the end user, not "the license state is none", and the way to the page
        expect(html).to.include('is off because no license is installed yet.').and.not.include('state is none');
        expect(html).to.match(/<a href="[^"]*\/admin\/license">License Manager page<\/a>/);
        const api = await fetch(url, { headers: { accept: 'application/json' } });
        expect(api.headers.get('content-type')).to.match(/^application\/json/);
        await lm.setLicense(await vendor.issue({ serverId: lm.serverId, features: ['sso'] }));
        expect((await fetch(url)).status).to.equal(200);
      } finally {
        server.close();
      }
    });
  },
  ['sqlite'],
);
