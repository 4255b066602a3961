import { expect } from 'chai';
import { ADMIN_EMAIL, api, serveMemoryPort, startWeb, type WebFixture } from './fixture.js';

describe('web: JSON API (SPEC 8)', () => {
  let web: WebFixture;
  beforeEach(async () => {
    web = await startWeb();
  });
  afterEach(() => web.close());

  it('GET api/status prints status() as it is', async () => {
    await web.setLicense(await web.issue({ loc: 1000 }));
    const { status, json, res } = await api(web.base, 'GET', '/status');
    expect(status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(json).to.deep.equal(JSON.parse(JSON.stringify(web.status())));
    expect(json.state).to.equal('active');
    expect(json.loc).to.include({ limit: 1000, threshold: 90 });
  });

  it('GET api/server-id gives the server ID', async () => {
    const { status, json } = await api(web.base, 'GET', '/server-id');
    expect(status).to.equal(200);
    expect(json).to.deep.equal({ serverId: web.serverId });
  });

  it('POST api/license sets a good key and answers { status, changes } against the license it replaced', async () => {
    const { status, json } = await api(web.base, 'POST', '/license', { key: await web.issue({ licensee: 'Globex', features: ['sso'] }) });
    expect(status).to.equal(200);
    expect(json.status.state).to.equal('active');
    expect(json.status.license.licensee).to.equal('Globex');
    expect(json.changes).to.include({ first: true, losses: false });
    expect(web.status().license?.licensee).to.equal('Globex');
    const second = await api(web.base, 'POST', '/license', { key: await web.issue({ licensee: 'Globex', features: [], loc: 10 }) });
    expect(second.json.changes).to.deep.include({ first: false, featuresLost: ['sso'], losses: true });
    expect(second.json.changes.limits).to.deep.equal([{ resource: 'loc', from: null, to: 10, change: 'lower' }]);
  });

  it('POST api/license/preview answers { license, state, changes } and stores nothing', async () => {
    await web.setLicense(await web.issue({ licensee: 'Current Co', features: ['sso', 'audit-log'], expires: '2028-06-30' }));
    const key = await web.issue({ licensee: 'Next Co', features: ['sso'], expires: '2027-06-30', users: 20 });
    const { status, json } = await api(web.base, 'POST', '/license/preview', { key });
    expect(status).to.equal(200);
    expect(Object.keys(json)).to.deep.equal(['license', 'state', 'changes']);
    expect(json.license.licensee).to.equal('Next Co');
    expect(json.state).to.equal('active');
    expect(json.changes).to.deep.include({ featuresLost: ['audit-log'], featuresGained: [], losses: true });
    expect(json.changes.end).to.deep.equal({ from: '2028-06-30', to: '2027-06-30', change: 'earlier' });
    expect(web.status().license?.licensee).to.equal('Current Co');
    const bad = await api(web.base, 'POST', '/license/preview', { key: 'x.y.z' });
    expect(bad.status).to.equal(422);
    expect(bad.json.error.code).to.match(/^KEY_/);
  });

  it('POST api/license/activate and api/license/retire { lid }: make an older key current, retire the other, undo', async () => {
    await web.setLicense(await web.issue({ licensee: 'First' }));
    const first = web.status().license!.lid;
    await web.setLicense(await web.issue({ licensee: 'Second' }));
    const second = web.status().license!.lid;
    let r = await api(web.base, 'POST', '/license/activate', { lid: first });
    expect([r.status, r.json.status.license.lid]).to.deep.equal([200, first]);
    r = await api(web.base, 'POST', '/license/retire', { lid: first });
    expect([r.status, r.json.error?.code]).to.deep.equal([400, 'VALIDATION_FAILED']); // the current one
    r = await api(web.base, 'POST', '/license/retire', { lid: second });
    expect(r.status).to.equal(200);
    await web.setLicense(await web.issue({ licensee: 'Third' })); // newer than the choice: it wins
    expect(web.status().license!.licensee).to.equal('Third');
    r = await api(web.base, 'POST', '/license/activate', { lid: second });
    expect([r.status, r.json.status.license.lid]).to.deep.equal([200, second]);
    expect((await web.lm.keyHistory()).find((k) => k.lid === second)!.retired).to.equal(false);
    r = await api(web.base, 'POST', '/license/activate', { lid: '00000000-0000-4000-8000-000000000000' });
    expect([r.status, r.json.error.code]).to.deep.equal([400, 'VALIDATION_FAILED']);
    const text = await fetch(`${web.base}/api/keys/${second}/key`);
    expect(text.headers.get('content-disposition')).to.contain(`license-${second}.key`);
    expect((await text.text()).trim().split('.')).to.have.length(3);
  });

  it('records license_activated and license_retired in the audit log, naming the key and the actor', async () => {
    await web.setLicense(await web.issue({ licensee: 'A' }));
    const a = web.status().license!.lid;
    await web.setLicense(await web.issue({ licensee: 'B' }));
    const b = web.status().license!.lid;
    await api(web.base, 'POST', '/license/activate', { lid: a });
    await api(web.base, 'POST', '/license/retire', { lid: b });
    const { listAudit } = await import('../../../lib/audit/index.js');
    const entries = (await listAudit(web.lm.knex, { limit: 10 })).filter((e) => e.action === 'license_activated' || e.action === 'license_retired');
    expect(entries.map((e) => [e.action, e.actor, e.detail.lid])).to.deep.equal([
      ['license_retired', 'admin', b],
      ['license_activated', 'admin', a],
    ]);
  });

  it('POST api/license refuses a bad key with 422 and its code, and the current license stays', async () => {
    await web.setLicense(await web.issue({ licensee: 'Initech' }));
    const good = await web.issue({ licensee: 'Tampered' });
    const tampered = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    const cases: [string, string][] = [
      ['not a key', 'KEY_MALFORMED'],
      [tampered, 'KEY_BAD_SIGNATURE'],
      [await web.issue({ serverId: 'FFFFFFFF-ABCDEFGHIJKLMNOPQRST' }), 'SERVER_ID_MISMATCH'],
    ];
    for (const [key, code] of cases) {
      const { status, json } = await api(web.base, 'POST', '/license', { key });
      expect(status, code).to.equal(422);
      expect(json.error.code).to.equal(code);
      expect(json.error.message).to.be.a('string').and.not.be.empty;
      expect(Object.keys(json)).to.deep.equal(['error']);
    }
    expect(web.status().license?.licensee).to.equal('Initech');
  });

  it('POST api/license without a key field is 400 VALIDATION_FAILED', async () => {
    for (const body of [{}, { key: '' }, { key: 42 }, [], 'null']) {
      const { status, json } = await api(web.base, 'POST', '/license', body);
      expect(status).to.equal(400);
      expect(json.error.code).to.equal('VALIDATION_FAILED');
    }
  });

  it('PUT api/loc-threshold stores whole percents from 1 to 100 and refuses the rest with 400', async () => {
    const ok = await api(web.base, 'PUT', '/loc-threshold', { percent: 75 });
    expect(ok.status).to.equal(200);
    expect(ok.json.loc.threshold).to.equal(75);
    expect(web.status().loc.threshold).to.equal(75);
    for (const percent of [0, 101, -5, 50.5, '80', null, undefined]) {
      const { status, json } = await api(web.base, 'PUT', '/loc-threshold', { percent });
      expect(status, String(percent)).to.equal(400);
      expect(json.error).to.deep.equal({ code: 'VALIDATION_FAILED', message: 'The threshold must be a whole number of percent from 1 to 100.' });
    }
    expect(web.status().loc.threshold).to.equal(75);
  });

  it('writes accept application/json only: anything else is 415 VALIDATION_FAILED', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/license', 'key=abc', 'application/x-www-form-urlencoded'],
      ['POST', '/license', '{"key":"abc"}', 'text/plain'],
      ['PUT', '/loc-threshold', '{"percent":80}', 'text/plain'],
      ['POST', '/test-email', '', 'multipart/form-data; boundary=x'],
    ];
    for (const [method, path, body, type] of cases) {
      const { status, json } = await api(web.base, method, path, body, type);
      expect(status, `${method} ${path} ${type}`).to.equal(415);
      expect(json.error).to.deep.equal({ code: 'VALIDATION_FAILED', message: 'This API accepts application/json only.' });
    }
    const noType = await fetch(`${web.base}/api/test-email`, { method: 'POST' });
    expect(noType.status).to.equal(415);
    expect(web.smtp.to(ADMIN_EMAIL)).to.deep.equal([]);
    expect(web.status().loc.threshold).to.equal(90);
  });

  it('refuses bodies over 64 KiB with 413 and broken JSON with 400', async () => {
    const big = await api(web.base, 'POST', '/license', { key: 'a'.repeat(64 * 1024) });
    expect(big.status).to.equal(413);
    expect(big.json.error).to.deep.equal({ code: 'VALIDATION_FAILED', message: 'The request body is larger than 64 KiB.' });
    const justUnder = await api(web.base, 'POST', '/license', { key: 'a'.repeat(60 * 1024) });
    expect(justUnder.status).to.equal(422); // read, then refused as a key (over 16 KiB)
    expect(justUnder.json.error.code).to.equal('KEY_TOO_LARGE');
    const broken = await api(web.base, 'POST', '/license', '{"key": ');
    expect(broken.status).to.equal(400);
    expect(broken.json.error.code).to.equal('VALIDATION_FAILED');
  });

  it('a body whose Content-Encoding does not decode is 400 VALIDATION_FAILED, not 500 (SPEC 15.6), on the API and the page', async () => {
    const { gzipSync } = await import('node:zlib');
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await fetch(`${web.base}/api/revocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: '{"list":"x"}',
      });
      expect(res.status, encoding).to.equal(400);
      expect(await res.json()).to.deep.equal({
        error: { code: 'VALIDATION_FAILED', message: 'The request body does not decode as its Content-Encoding says.' },
      });
    }
    const gzipped = await fetch(`${web.base}/api/license/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"key":"abc"}'),
    });
    expect((await gzipped.json()).error.code).to.equal('KEY_MALFORMED'); // a real gzip body is read
    const page = await fetch(`${web.base}/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body: 'list=x',
    });
    expect(page.status).to.equal(400);
    expect(await page.text()).to.contain('does not decode as its Content-Encoding says');
  });

  it('GET api/notifications lists the notification rows with their status, ?limit bounded', async () => {
    expect((await api(web.base, 'GET', '/notifications')).json).to.deep.equal({ notifications: [], nextCursor: null });
    await api(web.base, 'POST', '/test-email', {});
    const { status, json } = await api(web.base, 'GET', '/notifications');
    expect(status).to.equal(200);
    expect(json.notifications).to.have.length(1);
    expect(json.notifications[0]).to.include({ kind: 'test', status: 'sent', recipients: 1 });
    expect((await api(web.base, 'GET', '/notifications?limit=0')).status).to.equal(400);
    expect((await api(web.base, 'GET', '/notifications?limit=abc')).status).to.equal(400);
  });

  it('POST api/test-email mails every administrator with an address, through the SMTP server', async () => {
    const { status, json } = await api(web.base, 'POST', '/test-email', {});
    expect(status).to.equal(200);
    expect(json).to.deep.equal({ recipients: 1 });
    expect(web.smtp.to(ADMIN_EMAIL)).to.have.length(1);
  });

  it('POST api/test-email with the SMTP server down is a refusal with a sentence, not a crash', async () => {
    await web.smtp.stop();
    const { status, json } = await api(web.base, 'POST', '/test-email', {});
    expect(status).to.equal(502);
    expect(json.error.code).to.equal('MAIL_FAILED');
    expect(json.error.message).to.match(/^The test email could not be sent \(MAIL_UNREACHABLE\)/);
    await web.smtp.restart();
  });

  it('GET api/support-info is a JSON download with the facts support needs and no key, email or secret', async () => {
    const key = await web.issue({ licensee: 'Acme Corp', email: 'buyer@acme.example', features: ['sso'] });
    await web.setLicense(key);
    const { status, json, res } = await api(web.base, 'GET', '/support-info');
    expect(status).to.equal(200);
    expect(res.headers.get('content-disposition')).to.equal(`attachment; filename=license-support-${web.serverId}.json`);
    expect(json).to.include({ serverId: web.serverId, edition: 'enterprise', state: 'active' });
    expect(json.product).to.deep.equal({ name: 'Code Scanner', version: '3.2.1' });
    expect(json.module.name).to.equal('license-manager');
    expect(json.license).to.include({ licensee: 'Acme Corp', type: 'production' });
    expect(json.database.kind).to.equal('sqlite');
    expect(json.database.version).to.match(/\d+\.\d+/);
    expect(json.serverIdEvents).to.be.an('array');
    expect(json.jobRuns[0]).to.include({ ran: true, outcome: 'ok' }); // the run of start()
    expect(json.mail).to.deep.include({ configured: true, adminsWithoutEmail: 1 });
    const text = JSON.stringify(json);
    expect(text).not.to.contain(key.split('.')[2]);
    expect(text).not.to.contain(key.split('.')[1]);
    expect(text).not.to.contain('buyer@acme.example');
    expect(text).not.to.contain(ADMIN_EMAIL);
    expect(text).not.to.contain(web.smtp.url);
  });

  it('GET api/loc-usage gives each project largest first, as JSON or as a CSV download', async () => {
    await web.recordAnalysis('backend', 'main', 1200);
    await web.recordAnalysis('=cmd|calc', 'dev, "x"', 300);
    const { status, json } = await api(web.base, 'GET', '/loc-usage');
    expect(status).to.equal(200);
    expect(json.projects.map((p: { project: string }) => p.project)).to.deep.equal(['backend', '=cmd|calc']);
    expect(json.loc.used).to.equal(1500);
    const csv = await fetch(`${web.base}/api/loc-usage?format=csv`);
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.contain('attachment');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).to.equal('project,branch,loc,share_of_limit_percent,last_analysis_at');
    expect(lines[1]).to.match(/^backend,main,1200,,2026-/);
    // a name a spreadsheet would run as a formula is quoted out; commas and quotes are escaped
    expect(lines[2]).to.match(/^'=cmd\|calc,"dev, ""x""",300,,/);
    expect((await api(web.base, 'GET', '/loc-usage?format=xml')).status).to.equal(400);
  });

  it('a raw failure is a 500 with a generic sentence: a database error never reaches the response', async () => {
    await web.lm.knex.destroy(); // the database goes away under the running manager
    const quiet = console.error;
    console.error = () => undefined; // the router logs the raw error (its default logger)
    try {
      const { status, json } = await api(web.base, 'GET', '/loc-usage');
      expect(status).to.equal(500);
      expect(json).to.deep.equal({ error: { code: 'INTERNAL', message: 'Something went wrong on the server. The details are in the server log.' } });
    } finally {
      console.error = quiet;
    }
  });

  it('logs the raw error it hides, through the logger it was given', async () => {
    const logged: string[] = [];
    const app = await serveMemoryPort((port) => {
      port.locUsage = async () => {
        throw new Error('SQLITE_BUSY: database is locked at /secret/path.db');
      };
      port.logger = { info: () => undefined, warn: () => undefined, error: (m, d) => logged.push(`${m} ${JSON.stringify(d)}`) };
    });
    const { status, json } = await api(app.base, 'GET', '/loc-usage');
    await app.close();
    expect(status).to.equal(500);
    expect(JSON.stringify(json)).not.to.contain('SQLITE_BUSY');
    expect(logged.join('\n')).to.contain('SQLITE_BUSY');
  });
});
