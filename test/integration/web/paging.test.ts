/**
 * SPEC 15.5 on the three databases: the page and `api/loc-usage` read one page of the largest
 * projects and the count, never every row; cursors walk every project exactly once, ties
 * included; the CSV has every project; stored keys and notifications are paged too.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createOutbox } from '../../../lib/notify/outbox.js';
import { projectChunks } from '../../../lib/usage/project-usage.js';
import type { LicenseManager } from '../../../lib/index.js';
import { withDbs } from '../../helpers/dbs.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { api, FormClient, MOUNT, serve } from './fixture.js';

const PROJECTS = 130;
/** Many ties on purpose: a cursor must still go through each project once. */
const locOf = (i: number) => 1000 + (i % 7) * 10;
const nameOf = (i: number) => `project-${String(i).padStart(3, '0')}`;

async function seedProjects(knex: Knex): Promise<void> {
  const rows = Array.from({ length: PROJECTS }, (_, i) => ({ project: nameOf(i), branch: 'main', loc: locOf(i), analyzed_at: Date.UTC(2026, 10, 1) }));
  await knex.batchInsert('license_loc_projects', rows, 50);
}

/** The expected order, largest first and ties by name, from the seed itself. */
const expected = Array.from({ length: PROJECTS }, (_, i) => ({ project: nameOf(i), loc: locOf(i) }))
  .sort((a, b) => b.loc - a.loc || (a.project < b.project ? -1 : 1))
  .map((p) => p.project);

/** Every query on the projects table that reads rows without a LIMIT (a count is fine). */
function unboundedReads(knex: Knex): { stop: () => string[] } {
  const seen: string[] = [];
  const listener = (q: { sql: string }) => {
    const sql = q.sql.toLowerCase();
    if (sql.includes('license_loc_projects') && sql.startsWith('select') && !sql.includes('limit') && !sql.includes('count(') && !sql.includes('sum('))
      seen.push(q.sql);
  };
  knex.on('query', listener);
  return {
    stop: () => {
      knex.off('query', listener);
      return seen;
    },
  };
}

withDbs('bounded reads and paging', (dbs) => {
  const managers = new Managers();
  let vendor: TestVendor;
  let lm: LicenseManager;
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    vendor = await testVendor();
  });
  beforeEach(async () => {
    const db = await dbs.fresh();
    lm = await managers.start(db, vendor, testClock('2026-11-23T12:00:00Z'));
    await seedProjects(lm.knex);
    await lm.setLicense(await vendor.issue({ serverId: lm.serverId, limits: { loc: 200_000 } }), { actor: 'test' });
    const http = await serve(lm.router());
    base = `${http.origin}${MOUNT}`;
    close = http.close;
  });
  afterEach(async () => {
    await close();
    await managers.stopAll();
  });

  it('the page shows the 50 largest projects and the count, reading no unbounded list', async () => {
    const reads = unboundedReads(lm.knex);
    const { html } = await new FormClient(base).get();
    expect(reads.stop()).to.deep.equal([]);
    const shown = [...html.matchAll(/<tr><th scope="row">(project-\d+)<\/th>/g)].map((m) => m[1]);
    expect(shown).to.deep.equal(expected.slice(0, 50));
    expect(html).to.contain(`The 50 largest of ${PROJECTS} projects`);
  });

  it('api/loc-usage: 50 by default with the count; ?limit and the opaque cursor walk every project once', async () => {
    const reads = unboundedReads(lm.knex);
    const first = await api(base, 'GET', '/loc-usage');
    expect(first.status).to.equal(200);
    expect(first.json.total).to.equal(PROJECTS);
    expect(first.json.projects.map((p: { project: string }) => p.project)).to.deep.equal(expected.slice(0, 50));
    expect(first.json.projects[0]).to.include({ loc: 1060, share: 0.53 });
    expect(first.json.nextCursor).to.be.a('string');

    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, json }: { status: number; json: any } = await api(base, 'GET', `/loc-usage?limit=37${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).to.equal(200);
      expect(json.total).to.equal(PROJECTS);
      walked.push(...json.projects.map((p: { project: string }) => p.project));
      cursor = json.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(reads.stop()).to.deep.equal([]);
    expect(pages).to.equal(Math.ceil(PROJECTS / 37));
    expect(walked).to.deep.equal(expected);
  });

  it('api/loc-usage refuses a cursor it did not give out and a limit out of range', async () => {
    for (const query of ['cursor=not-a-cursor', `cursor=${Buffer.from('[1]').toString('base64url')}`, 'cursor=%7B%7D', 'limit=0', 'limit=1001']) {
      const { status, json } = await api(base, 'GET', `/loc-usage?${query}`);
      expect(status, query).to.equal(400);
      expect(json.error.code, query).to.equal('VALIDATION_FAILED');
    }
  });

  it('the CSV has every project once, largest first, read in chunks', async () => {
    const res = await fetch(`${base}/api/loc-usage?format=csv`);
    expect(res.status).to.equal(200);
    const lines = (await res.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).to.equal('project,branch,loc,share_of_limit_percent,last_analysis_at');
    expect(lines.slice(1).map((l) => l.split(',')[0])).to.deep.equal(expected);
    // chunk boundaries inside runs of equal LOC lose and repeat nothing
    const chunks: string[][] = [];
    for await (const chunk of projectChunks(lm.knex, null, 9)) chunks.push(chunk.map((p) => p.project));
    expect(chunks.every((c) => c.length <= 9)).to.equal(true);
    expect(chunks.flat()).to.deep.equal(expected);
  });

  it('notifications: the API pages with limit and cursor, the page shows 10 with a link to older ones', async () => {
    const outbox = createOutbox(lm.knex);
    const facts = {
      serverId: lm.serverId,
      lid: null,
      licensee: null,
      edition: null,
      expiresAt: null,
      daysLeft: null,
      graceEndsAt: null,
      loc: { used: 0, limit: null, threshold: 90, percent: null },
      at: new Date(0).toISOString(),
    };
    for (let i = 0; i < 23; i++)
      await outbox.enqueue([{ dedupKey: `probe:${i}`, kind: 'grace', lid: null, facts }], new Date(Date.UTC(2026, 10, 1) + i * 1000));
    const ids: number[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const { json }: { json: any } = await api(base, 'GET', `/notifications?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      sizes.push(json.notifications.length);
      ids.push(...json.notifications.map((n: { id: number }) => n.id));
      cursor = json.nextCursor;
    } while (cursor && sizes.length < 5);
    expect(sizes).to.deep.equal([10, 10, 3]);
    expect(new Set(ids).size).to.equal(23);
    expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));

    const browser = new FormClient(base);
    const page = await browser.get();
    const rows = (html: string) => (/data-testid="notifications">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '').split('<th scope="row">').length - 1;
    expect(rows(page.html)).to.equal(10);
    const older = /href="([^"]+)" data-testid="notifications-older"/.exec(page.html)?.[1];
    expect(older).to.be.a('string');
    const second = await browser.get(older!.slice(MOUNT.length).replace(/&amp;/g, '&'));
    expect(rows(second.html)).to.equal(10);
    expect(second.html).to.contain('Newest notifications');
    const bad = await browser.get('/?notifications=garbage');
    expect(bad.res.status).to.equal(200); // a cursor that does not read shows the newest
    expect(rows(bad.html)).to.equal(10);
  });

  it('stored keys: the API pages with limit and cursor, the page shows 10 with a link to older ones', async () => {
    for (let i = 0; i < 11; i++) await lm.setLicense(await vendor.issue({ serverId: lm.serverId, licensee: `Licensee ${i}` }), { actor: 'test' });
    const { json: one } = await api(base, 'GET', '/keys?limit=5');
    const { json: two } = await api(base, 'GET', `/keys?limit=5&cursor=${one.nextCursor}`);
    const { json: three } = await api(base, 'GET', `/keys?limit=5&cursor=${two.nextCursor}`);
    expect([one.keys.length, two.keys.length, three.keys.length]).to.deep.equal([5, 5, 2]);
    expect(three.nextCursor).to.equal(null);
    const licensees = [...one.keys, ...two.keys, ...three.keys].map((k: { licensee: string }) => k.licensee);
    expect(licensees).to.deep.equal([...Array.from({ length: 11 }, (_, i) => `Licensee ${10 - i}`), 'Acme Corp']);
    expect(JSON.stringify(one)).not.to.contain('eyJ'); // summaries, never a key's text

    const browser = new FormClient(base);
    const page = await browser.get();
    const shown = (html: string) => (/data-testid="key-history">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '').split('class="history-item').length - 1;
    expect(shown(page.html)).to.equal(10);
    const older = /href="([^"]+)" data-testid="keys-older"/.exec(page.html)?.[1];
    const second = await browser.get(older!.slice(MOUNT.length));
    expect(shown(second.html)).to.equal(2);
    expect(second.html).to.contain('Licensee 0').and.contain('Newest keys');
  });
});
