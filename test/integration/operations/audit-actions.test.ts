import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { verifyAudit } from '../../../lib/audit/index.js';
import type { LicenseError } from '../../../lib/errors.js';
import { startWeb, type WebFixture } from '../web/fixture.js';

const T0 = '2026-11-23T12:00:00Z';

withDbs('audit entries for each action', (dbs) => {
  let vendor: TestVendor;
  let smtp: SmtpTestServer;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  afterEach(() => managers.stopAll());

  it('records license_set, license_refused with the code only, threshold_changed and test_email, in one verified chain', async () => {
    const db = await dbs.fresh();
    const lm = await managers.start(db, vendor, testClock(T0), {
      mail: { transport: smtp.url, from: 'lm@example.com' },
      getGlobalAdmins: async () => [
        { name: 'Ada', email: 'ada@example.com' },
        { name: 'Bob', email: 'bob@example.com' },
      ],
    });
    const key = await vendor.issue({ serverId: lm.serverId });
    const lid = JSON.parse(Buffer.from(key.split('.')[1]!, 'base64url').toString()).lid as string;
    await lm.setLicense(key, { actor: 'alice' });
    const other = await vendor.issue({ serverId: 'ABCDEF01-AAAAAAAAAAAAAAAAAAAA' });
    const refused = await lm.setLicense(other, { actor: 'mallory' }).catch((e: LicenseError) => e);
    expect((refused as LicenseError).code).to.equal('SERVER_ID_MISMATCH');
    await lm.setLicense('not a key', { actor: 'mallory' }).catch(() => undefined);
    await lm.setLocThreshold(75, { actor: 'bob' });
    await lm.setLocThreshold(60, { actor: 'bob' });
    await lm.jobs.sendTestEmail('carol@example.com');

    const entries = (await lm.auditLog()).reverse();
    expect(entries.map((e) => [e.actor, e.action, e.detail])).to.deep.equal([
      ['alice', 'license_set', { lid }],
      ['mallory', 'license_refused', { code: 'SERVER_ID_MISMATCH' }],
      ['mallory', 'license_refused', { code: 'KEY_MALFORMED' }],
      ['bob', 'threshold_changed', { from: 90, to: 75 }],
      ['bob', 'threshold_changed', { from: 75, to: 60 }],
      ['carol', 'test_email', { recipients: 2 }],
    ]);
    expect(entries.every((e) => e.at === new Date(T0).toISOString())).to.equal(true);
    const stored = JSON.stringify(await lm.knex('license_audit').select('*'));
    expect(stored).to.not.include(other.slice(0, 40)).and.not.include(key.slice(0, 40)).and.not.include('@');
    expect(await verifyAudit(lm.knex)).to.deep.include({ ok: true, entries: 6 });
  });
});

// NOTE: not on SQLite: two SQLite connections in one process block each other's event loop
// (better-sqlite3 waits synchronously on a lock), where real nodes are separate processes. The
// chain under concurrent writers on SQLite is tested in test/integration/audit.
withDbs(
  'audit entries from two managers',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(() => managers.stopAll());

    it('two managers on one database writing at once keep one chain', async function () {
      this.timeout(60_000);
      const db = await dbs.fresh();
      const clock = testClock(T0);
      const a = await managers.start(db, vendor, clock);
      const b = await managers.start(db, vendor, clock);
      const writes = [];
      for (let i = 1; i <= 10; i++) writes.push(a.setLocThreshold(i, { actor: 'a' }), b.setLocThreshold(100 - i, { actor: 'b' }));
      await Promise.all(writes);
      expect(await verifyAudit(a.knex)).to.deep.include({ ok: true, entries: 20 });
      // each entry's "from" is the value the one before it wrote: the writes were serialised with their entries
      const chain = (await a.auditLog({ limit: 100 })).reverse();
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.detail.from).to.equal(chain[i - 1]!.detail.to);
    });
  },
  ['postgres', 'mysql'],
);

describe('audit trail on the page and in the API', () => {
  let web: WebFixture;
  before(async () => {
    web = await startWeb();
  });
  after(async () => {
    await web?.close();
  });

  it('GET api/audit lists the entries with the actor of actorOf(req), newest first, and is authorized', async () => {
    const key = await web.issue();
    let res = await fetch(`${web.base}/api/license`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    expect(res.status).to.equal(200);
    res = await fetch(`${web.base}/api/loc-threshold`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ percent: 70 }),
    });
    expect(res.status).to.equal(200);
    res = await fetch(`${web.base}/api/license`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: `${key.slice(0, -4)}AAAA` }),
    });
    expect(res.status).to.equal(422);

    const body = (await (await fetch(`${web.base}/api/audit?limit=2`)).json()) as {
      entries: Array<{ id: number; actor: string; action: string; detail: Record<string, unknown>; hash: string }>;
    };
    expect(body.entries.map((e) => [e.actor, e.action, e.detail])).to.deep.equal([
      ['admin', 'license_refused', { code: 'KEY_BAD_SIGNATURE' }],
      ['admin', 'threshold_changed', { from: 90, to: 70 }],
    ]);
    expect(body.entries[0]!.hash).to.match(/^[0-9a-f]{64}$/);
    expect((await fetch(`${web.base}/api/audit?limit=0`)).status).to.equal(400);
    web.allow.value = false;
    try {
      expect((await fetch(`${web.base}/api/audit`)).status).to.equal(403);
    } finally {
      web.allow.value = true;
    }
  });

  it('the page shows the Audit trail section', async () => {
    const html = await (await fetch(`${web.base}/`)).text();
    const section = html.slice(html.indexOf('id="audit-title"'));
    expect(section).to.include('Audit trail').and.include('LOC threshold changed').and.include('90% → 70%').and.include('KEY_BAD_SIGNATURE');
    expect(section).to.include('License set');
  });
});
