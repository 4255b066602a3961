/**
 * SPEC 22, self-service extension: the `ext` claim lets the customer move the end of grace by
 * N days, from the start of grace until 3 days after its end, `uses` times per key and server,
 * recorded in the audit chain and agreed on by nodes using it at once. Real databases, the
 * injected clock.
 */
import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, seconds, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, refusal, testClock } from '../../helpers/managers.js';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { startReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

const EXP = '2027-06-01T00:00:00Z'; // valid until 31 May 2027; 14 days of grace: through 14 June

withDbs('self-service extension (SPEC 22)', (dbs) => {
  let vendor: TestVendor;
  const managers = new Managers();
  before(async () => {
    vendor = await testVendor();
  });
  afterEach(() => managers.stopAll());

  async function started(now: string, ext?: { days: number; uses: number }, extra: Parameters<Managers['start']>[3] = {}) {
    const clock = testClock('2027-01-10T09:00:00Z');
    const db = await dbs.fresh();
    const lm = await managers.start(db, vendor, clock, extra);
    const key = await vendor.issue({ serverId: lm.serverId, exp: seconds(EXP), ...(ext ? { ext } : {}) });
    await lm.setLicense(key, { actor: 'alice' });
    clock.set(now);
    await lm.refresh();
    return { lm, clock, db, key };
  }

  const extensionRows = async (lm: { knex: import('knex').Knex }) => lm.knex('license_extensions').select('*');
  const extendedEntries = async (lm: { auditLog(o?: { limit?: number }): Promise<{ action: string; actor: string; detail: Record<string, unknown> }[]> }) =>
    (await lm.auditLog({ limit: 100 })).filter((e) => e.action === 'license_extended');

  it('a key without `ext` is refused with a sentence saying so, and nothing is stored', async () => {
    const { lm } = await started('2027-06-03T10:00:00Z');
    expect(lm.status().state).to.equal('grace');
    expect(lm.status().extension).to.equal(null);
    const err = await refusal(lm.extend({ actor: 'bob' }));
    expect(err.code).to.equal('EXTENSION_NOT_AVAILABLE');
    expect(err.status).to.equal(409);
    expect(err.message).to.match(/does not include a self-service extension/);
    expect(err.data.reason).to.equal('no_ext');
    expect(await extensionRows(lm)).to.have.length(0);
    expect(await extendedEntries(lm)).to.have.length(0);
  });

  it('before grace it is offered later, with the date; the key keeps its end', async () => {
    const { lm } = await started('2027-05-20T10:00:00Z', { days: 7, uses: 2 });
    expect(lm.status().extension).to.include({ available: false, days: 7, uses: 2, used: 0 });
    const err = await refusal(lm.extend({ actor: 'bob' }));
    expect(err.code).to.equal('EXTENSION_NOT_AVAILABLE');
    expect(err.data.reason).to.equal('too_early');
    expect(err.message).to.include('1 June 2027');
    expect(lm.status().details.graceUntil).to.equal('2027-06-14');
    expect(await extensionRows(lm)).to.have.length(0);
  });

  it('in grace, each use moves the end of grace by N days, with an audit entry and a banner; then the uses are spent', async () => {
    const { lm, clock } = await started('2027-06-03T10:00:00Z', { days: 7, uses: 2 });
    expect(lm.status().state).to.equal('grace');
    expect(lm.status().extension).to.include({ available: true, used: 0, wouldExtendTo: '2027-06-22T00:00:00.000Z' });

    const first = await lm.extend({ actor: 'bob@example.com' });
    expect(first.agreed).to.equal(false);
    expect(first.extension).to.include({ use: 1, uses: 2, days: 7, actor: 'bob', until: '2027-06-22T00:00:00.000Z' });
    const s1 = first.status;
    expect(s1.state).to.equal('grace');
    expect(s1.details.graceUntil).to.equal('2027-06-21');
    expect(s1.details.graceEndsAt).to.equal('2027-06-22T00:00:00.000Z');
    expect(s1.extension).to.include({ used: 1, available: true });
    const banner = s1.warnings.find((w) => w.code === 'LICENSE_EXTENDED');
    expect(banner?.message).to.match(
      /extended by 7 days by bob on 3 June 2027 \(self-service extension 1 of 2\): commercial features stay on through 21 June 2027\. Your vendor sees this in your next usage report\./,
    );
    expect(s1.warnings.find((w) => w.code === 'LICENSE_GRACE')?.message).to.include('21 June 2027');

    // past the key's own end of grace, the extension keeps it in force
    clock.set('2027-06-18T10:00:00Z');
    await lm.refresh();
    expect(lm.status().state).to.equal('grace');
    expect(lm.hasFeature('sso')).to.equal(true);

    const second = await lm.extend({ actor: 'carol' });
    expect(second.extension).to.include({ use: 2, until: '2027-06-29T00:00:00.000Z' });
    expect(lm.status().extension).to.include({ used: 2, available: false });
    const spent = await refusal(lm.extend({ actor: 'dave' }));
    expect(spent.code).to.equal('EXTENSION_NOT_AVAILABLE');
    expect(spent.data.reason).to.equal('spent');
    expect(spent.message).to.match(/2 of 2 \(the last one by carol on 18 June 2027\)/);

    const entries = await extendedEntries(lm);
    expect(entries.map((e) => [e.actor, e.detail.use, e.detail.until])).to.deep.equal([
      ['carol', 2, '2027-06-29T00:00:00.000Z'],
      ['bob', 1, '2027-06-22T00:00:00.000Z'],
    ]);
    expect(await extensionRows(lm)).to.have.length(2);
    expect((await lm.knex('license_audit').count({ n: '*' }))[0]).to.satisfy((r: { n: unknown }) => Number(r.n) >= 3);

    clock.set('2027-06-29T00:00:00Z');
    await lm.refresh();
    expect(lm.status().state).to.equal('expired');
    expect(lm.hasFeature('sso')).to.equal(false);
  });

  it('up to 3 days after the end of grace it gives N days from the moment of use; after that the window is closed', async () => {
    const { lm } = await started('2027-06-17T08:00:00Z', { days: 10, uses: 1 });
    expect(lm.status().state).to.equal('expired');
    expect(lm.hasFeature('sso')).to.equal(false);
    expect(lm.status().extension).to.include({ available: true, windowUntil: '2027-06-18T00:00:00.000Z' });
    const { status } = await lm.extend({ actor: 'bob' });
    expect(status.state).to.equal('grace');
    expect(status.details.graceUntil).to.equal('2027-06-27');
    expect(lm.hasFeature('sso')).to.equal(true);

    // another key, one day later than its window allows
    const late = await started('2027-06-18T00:00:00Z', { days: 10, uses: 1 });
    const err = await refusal(late.lm.extend({ actor: 'bob' }));
    expect(err.data.reason).to.equal('too_late');
    expect(err.message).to.include('17 June 2027');
    expect(late.lm.status().state).to.equal('expired');
    expect(await extensionRows(late.lm)).to.have.length(0);
  });

  it('two nodes using it at once agree on one use; the other node shows it within its refresh', async () => {
    const { lm: a, db, clock } = await started('2027-06-05T12:00:00Z', { days: 5, uses: 3 });
    const b = await managers.start(db, vendor, clock);
    expect(b.status().extension).to.include({ used: 0, available: true });

    const [ra, rb] = await Promise.all([a.extend({ actor: 'alice' }), b.extend({ actor: 'bob' })]);
    expect([ra.agreed, rb.agreed].sort()).to.deep.equal([false, true]);
    expect(ra.extension).to.deep.equal(rb.extension);
    expect(await extensionRows(a)).to.have.length(1);
    expect(await extendedEntries(a)).to.have.length(1);

    await Promise.all([a.refresh(), b.refresh()]);
    for (const lm of [a, b]) {
      expect(lm.status().extension).to.include({ used: 1 });
      expect(lm.status().details.graceEndsAt).to.equal(ra.extension.until);
    }
    // a later, deliberate use is a new one
    const again = await b.extend({ actor: 'bob' });
    expect(again).to.include({ agreed: false });
    expect(again.extension.use).to.equal(2);
  });

  it('every later usage report lists each use, signed by the instance key', async () => {
    const { lm, clock } = await started('2027-06-03T10:00:00Z', { days: 7, uses: 2 });
    const before = await lm.usageReport();
    expect(before.payload.extensions).to.equal(undefined);
    const { extension } = await lm.extend({ actor: 'bob' });
    const signedPart = (text: string) => JSON.parse(Buffer.from(text.split('.')[1]!, 'base64url').toString('utf8')) as { extensions?: unknown[] };
    const listed = [
      { lid: extension.lid, serverId: lm.serverId, use: 1, days: 7, at: '2027-06-03T10:00:00.000Z', until: '2027-06-22T00:00:00.000Z', actor: 'bob' },
    ];
    const first = await lm.usageReport();
    expect(first.payload.seq).to.equal(before.payload.seq + 1);
    expect(signedPart(first.text).extensions).to.deep.equal(listed);
    clock.set('2027-08-02T10:00:00Z');
    const later = await lm.usageReport();
    expect(later.payload.seq).to.equal(first.payload.seq + 1);
    expect(signedPart(later.text).extensions).to.deep.equal(listed);
  });

  it('license-manager extend --db URL --actor WHO uses it, and says why when it cannot (exit 1)', async () => {
    const { lm, db } = await started('2027-06-03T10:00:00Z', { days: 7, uses: 1 });
    await lm.stop();
    const dir = mkdtempSync(join(tmpdir(), 'lm-extend-'));
    writeFileSync(join(dir, 'vendor.pub.json'), JSON.stringify(vendor.pair.publicJwk));
    const run = async (...args: string[]) => {
      const out = { stdout: '', stderr: '' };
      const io: CliIo = {
        stdout: (t) => {
          out.stdout += t;
        },
        stderr: (t) => {
          out.stderr += t;
        },
        env: {},
        now: () => new Date('2027-06-04T08:00:00Z'),
        cwd: dir,
      };
      return { code: await runCli(args, io), ...out };
    };
    const used = await run('extend', '--db', db.url, '--actor', 'night-ops', '--public-key', 'vendor.pub.json');
    expect(used.code, used.stderr).to.equal(0);
    expect(used.stdout).to.include('is extended by 7 days (extension 1 of 1 on this server): commercial features stay on through 21 June 2027.');
    expect(used.stdout).to.include('Recorded in the audit log as done by night-ops');
    const again = await run('extend', '--db', db.url, '--actor', 'night-ops', '--public-key', 'vendor.pub.json');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('EXTENSION_NOT_AVAILABLE').and.include('1 of 1 (the last one by night-ops on 4 June 2027)');
    expect(again.stderr).to.not.match(/\n\s+at /); // a sentence, not a stack trace
    const status = await run('status', '--db', db.url, '--public-key', 'vendor.pub.json');
    expect(status.stdout).to.include('grace:      commercial features stay on through 21 June 2027').and.include('extension:  1 of 1 used (7 days each)');
    expect(status.stdout).to.include('LICENSE_EXTENDED');
  });

  describe('told to the administrators and the webhooks', () => {
    let smtp: SmtpTestServer;
    let hook: WebhookReceiver;
    before(async () => {
      smtp = await startSmtp();
      hook = await startReceiver('/hooks/license');
    });
    after(async () => {
      await smtp?.stop();
      await hook?.stop();
    });

    it('each use is mailed to the administrators and posted to the webhooks once, signed', async () => {
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const { lm } = await started(
        '2027-06-03T10:00:00Z',
        { days: 7, uses: 2 },
        {
          mail: { transport: smtp.url, from: 'license@scanner.example' },
          getGlobalAdmins: async () => [{ name: 'Ada', email: 'ada@example.com' }],
          webhooks: [{ url: hook.url, format: 'json', secret }],
        },
      );
      await lm.runJob(); // the grace notice of the start of grace
      smtp.clear();
      const before = hook.requests.length;
      await lm.extend({ actor: 'bob' });
      await lm.runJob(); // joins the run extend() started, or runs again: once either way
      await lm.runJob();

      const subjects = smtp.to('ada@example.com').map((m) => m.parsed!.subject);
      expect(subjects).to.deep.equal(['Acme Code Scanner: the license was extended by 7 days by bob; commercial features stay on through 21 June 2027']);
      const text = smtp.to('ada@example.com')[0]!.parsed!.text ?? '';
      expect(text).to.include('extension 1 of 2, 7 days');
      expect(text).to.include('Your vendor sees this extension in your next usage report.');
      const posts = hook.requests.slice(before).filter((r) => JSON.parse(r.body).type === 'license.extension');
      expect(posts).to.have.length(1);
      // NOTE: signed at the injected time (2027), which verify() would call too new: the signature is checked as verify() does
      const h = posts[0]!.headers;
      expect(h['webhook-signature']).to.equal(
        new Webhook(secret).sign(String(h['webhook-id']), new Date(Number(h['webhook-timestamp']) * 1000), posts[0]!.body),
      );
      const event = JSON.parse(posts[0]!.body) as { data: { extension: Record<string, unknown> } };
      expect(event.data.extension).to.deep.equal({ use: 1, uses: 2, days: 7, actor: 'bob', at: '2027-06-03T10:00:00.000Z', until: '2027-06-22T00:00:00.000Z' });
    });
  });
});
