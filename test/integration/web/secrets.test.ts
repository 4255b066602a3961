/**
 * SPEC 15.6: no password, license key or email address in logs, error responses, the support
 * file or the page's lists. Real parts: a real SMTP server that answers 550, a real SQLite file
 * opened read-only, the real router over HTTP; the test reads what was really logged and served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildPayload, generateKeyPair, signLicenseKey, type PublicJwk } from '../../../lib/formats/index.js';
import { createLicenseManager, type LicenseManager } from '../../../lib/manager.js';
import type { Logger } from '../../../lib/host.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { api, serve } from './fixture.js';

const ADMINS = [
  { name: 'Ada', email: 'ada.lovelace@customer.example' },
  { name: 'Bob', email: 'bob@customer.example' },
];

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, data?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(data ?? {})}`);
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

describe('secrets stay out of responses, stored errors and logs (SPEC 15.6)', () => {
  let dir: string;
  let smtp: SmtpTestServer;
  const stops: (() => Promise<void>)[] = [];
  before(async () => {
    smtp = await startSmtp();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lm-secrets-'));
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    smtp.clear();
    rmSync(dir, { recursive: true, force: true });
  });
  after(() => smtp.stop());

  async function host(options: { logger: Logger; publicKeys: PublicJwk[] }): Promise<{ lm: LicenseManager; base: string }> {
    const lm = createLicenseManager({
      db: `sqlite:${join(dir, 'instance.db')}`,
      publicKeys: options.publicKeys,
      productName: 'Code Scanner',
      baseUrl: 'http://127.0.0.1/admin/license',
      authorize: () => true,
      getGlobalAdmins: async () => ADMINS,
      mail: { transport: smtp.url, from: 'License Manager <lm@host.example>' },
      now: () => new Date('2026-11-23T12:00:00Z'),
      logger: options.logger,
    });
    await lm.start();
    stops.push(() => lm.stop());
    const http = await serve(lm.router());
    stops.push(http.close);
    return { lm, base: `${http.origin}/admin/license` };
  }

  it('a test email the SMTP server refuses (550) is 502 MAIL_FAILED; no address in the answer, the notifications, the support file or the log', async () => {
    const pair = await generateKeyPair();
    const logger = capture();
    const { base } = await host({ logger, publicKeys: [pair.publicJwk] });
    for (const admin of ADMINS) smtp.refuse.add(admin.email);

    const { status, json } = await api(base, 'POST', '/test-email', {});
    expect(status).to.equal(502);
    expect(json.error.code).to.equal('MAIL_FAILED');
    expect(json.error.message).to.equal('The test email could not be sent (MAIL_REJECTED): The mail server refused every recipient.');

    const notifications = await api(base, 'GET', '/notifications');
    expect(notifications.json.notifications[0]).to.include({ kind: 'test', status: 'failed' });
    expect(notifications.json.notifications[0].lastError).to.match(/^MAIL_REJECTED: /);
    const support = await api(base, 'GET', '/support-info');
    const everything = [JSON.stringify(json), JSON.stringify(notifications.json), JSON.stringify(support.json), ...logger.lines].join('\n');
    for (const admin of ADMINS) expect(everything).to.not.include(admin.email);
    expect(everything).to.not.include('No such user');
  });

  it('on a read-only SQLite database, a refused write logs the driver error without the SQL, its bound values or the key', async () => {
    const pair = await generateKeyPair();
    const logger = capture();
    const { lm, base } = await host({ logger, publicKeys: [pair.publicJwk] });
    const serverId = lm.serverId;
    // NOTE: the fault is real: SQLite itself refuses every write from now on (the pool has one connection)
    await lm.knex.raw('pragma query_only = 1');
    const key = await signLicenseKey(
      buildPayload({
        serverId,
        licensee: 'Acme Corp',
        email: 'it@acme.example',
        type: 'production',
        expires: '2027-12-31',
        now: new Date('2026-11-22T00:00:00Z'),
      }),
      pair.privateJwk,
    );
    const { status, json } = await api(base, 'POST', '/license', { key });
    expect(status).to.be.oneOf([500, 503]);
    const logged = logger.lines.join('\n');
    expect(logged).to.match(/readonly|read-only/i); // the driver's own words are kept
    expect(logged).to.not.include(key.split('.')[1]!.slice(0, 40));
    expect(logged).to.not.include('it@acme.example');
    expect(logged).to.not.match(/insert into/i);
    expect(JSON.stringify(json)).to.not.include(key.slice(0, 40));
  });
});
