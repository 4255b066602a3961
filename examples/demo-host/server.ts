import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { createLicenseManager, type LicenseManager } from '../../lib/index.js';
import { buildPayload, signLicenseKey } from 'license-manager-issuer';
import { knexConfigFromUrl } from '../../lib/store/connect.js';
import { consoleLogger } from '../../lib/host.js';
import { demoVendorKeys } from './demo-vendor.js';
import { mailLogTransport } from './mail-log.js';
import { createJobStore } from '../../lib/jobs/store.js';
import { claimDemoDatabase } from './own-database.js';

export interface DemoOptions {
  /** database URL; default: an SQLite file in the data folder */
  db?: string;
  port?: number;
  host?: string;
  /** where the demo keeps its SQLite file, its DEMO-ONLY vendor key and its mail log */
  dataDir?: string;
  smtpUrl?: string;
  /** WEBHOOK_URL: every notification is also posted there (Slack format, or signed JSON with webhookSecret) */
  webhookUrl?: string;
  /** WEBHOOK_SECRET (`whsec_…`): post signed JSON (Standard Webhooks) instead of Slack text */
  webhookSecret?: string;
  quiet?: boolean;
}

export interface DemoHost {
  url: string;
  lm: LicenseManager;
  server: Server;
  stop(): Promise<void>;
}

const DEMO_PROJECTS = [
  { project: 'billing-service', branch: 'main', loc: 48_200 },
  { project: 'billing-service', branch: 'release-2.4', loc: 46_900 },
  { project: 'web-frontend', branch: 'main', loc: 31_450 },
  { project: 'mobile-app', branch: 'develop', loc: 22_800 },
  { project: 'data-pipeline', branch: 'main', loc: 12_300 },
];

/**
 * DEMO ONLY: 90 days of daily LOC snapshots, growing towards today's figure, so the first
 * impression of the page is a real chart (a real instance gets one snapshot a day from the job).
 */
async function seedHistory(lm: LicenseManager, now: Date): Promise<void> {
  const store = createJobStore(lm.knex);
  const today = lm.status().loc.used;
  for (let back = 89; back >= 1; back--) {
    const growth = 1 - back / 180; // about half of today's figure 90 days ago
    const wobble = ((back * 7919) % 2_000) - 1_000;
    await store.snapshotDay(new Date(now.getTime() - back * 86_400_000), {
      loc: Math.max(0, Math.round(today * growth + wobble)),
      users: Math.max(0, Math.round(lm.status().users.used * growth)),
      limitLoc: lm.status().loc.limit,
      limitUsers: lm.status().users.limit,
    });
  }
}

const page = (
  title: string,
  body: string,
) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}header{background:#243b53;color:#fff;padding:12px 24px}main{max-width:860px;margin:24px auto;padding:0 24px}a{color:#2f6fdb}table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:8px 12px;border-bottom:1px solid #e4e7eb;text-align:left}</style></head>
<body><header><strong>Acme Code Scanner</strong> · demo</header><main>${body}</main></body></html>`;

/**
 * The demo host of SPEC 14: a small self-hosted "code scanner" that embeds the License Manager
 * the way a real product would. No login: every request is the global administrator "admin".
 */
export async function startDemoHost(o: DemoOptions = {}): Promise<DemoHost> {
  const dataDir = resolve(o.dataDir ?? '.demo');
  mkdirSync(dataDir, { recursive: true });
  const port = o.port ?? 3000;
  const host = o.host ?? '127.0.0.1';
  const vendor = await demoVendorKeys(dataDir);
  const baseUrl = `http://localhost:${port}/admin/license`;
  const dbUrl = o.db ?? `sqlite:${join(dataDir, 'demo.db')}`;
  const db = knexConfigFromUrl(dbUrl);
  // the default file in the data folder is the demo's own (so is one made before the marker existed)
  if (o.db !== undefined) await claimDemoDatabase(db, dbUrl);
  const lm = createLicenseManager({
    db,
    publicKeys: [vendor.publicJwk],
    productName: 'Acme Code Scanner',
    productVersion: '2.4.0-demo',
    baseUrl,
    supportEmail: 'licensing@vendor.example',
    authorize: () => true, // the demo has no login: every request is the administrator
    actorOf: () => 'admin',
    getGlobalAdmins: async () => [{ name: 'admin', email: 'admin@scanner.example' }, { name: 'ops-without-email' }],
    mail: { transport: o.smtpUrl ?? mailLogTransport(join(dataDir, 'mail.log')), from: 'Acme Code Scanner <license@scanner.example>' },
    ...(o.webhookUrl ? { webhooks: [{ url: o.webhookUrl, format: o.webhookSecret ? ('json' as const) : ('slack' as const), secret: o.webhookSecret }] } : {}),
    logger: o.quiet ? undefined : consoleLogger,
  });
  await lm.start();

  if (lm.status().state === 'none') {
    const now = new Date();
    const expires = new Date(now.getTime() + 365 * 86_400_000).toISOString().slice(0, 10);
    const payload = buildPayload({
      serverId: lm.serverId,
      licensee: 'Demo Company (demo license)',
      type: 'production',
      expires,
      edition: 'enterprise',
      features: ['security-reports', 'sso', 'portfolio'],
      loc: 250_000,
      users: 50,
      email: 'it@demo-company.example',
      now,
    });
    await lm.setLicense(await signLicenseKey(payload, vendor.privateJwk), { actor: 'demo setup' });
    for (const analysis of DEMO_PROJECTS) await lm.recordAnalysis(analysis);
    await lm.reportUsers(37); // the demo's active users (a real host reports its own count)
    await seedHistory(lm, now);
  }

  const app = express();
  app.disable('x-powered-by');
  app.get('/', (_req, res) => {
    const s = lm.status();
    res.type('html').send(
      page(
        'Acme Code Scanner',
        `<h1>Projects</h1><p>License: <strong>${s.state}</strong> · ${s.loc.used.toLocaleString('en')} lines of code analysed.</p>
<p><a href="/admin/license">Administration → License Manager</a> · <a href="/reports/security">Security report</a> (needs the <code>security-reports</code> feature)</p>`,
      ),
    );
  });
  app.get('/reports/security', lm.requireFeature('security-reports'), (_req, res) => {
    res.type('html').send(page('Security report', '<h1>Security report</h1><p>No vulnerabilities found in the demo projects.</p><p><a href="/">Back</a></p>'));
  });
  app.use('/admin/license', lm.router());

  const server = createServer(app);
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => done());
    });
  } catch (err) {
    await lm.stop(); // a busy port must not leave the manager's timers keeping the process alive
    throw err;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://localhost:${actualPort}/admin/license`;
  return {
    url,
    lm,
    server,
    stop: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections?.();
      await lm.stop();
    },
  };
}
