/**
 * A host app for the router's tests, the way a product embeds the module: a real license manager
 * on a fresh SQLite file, mail to a real SMTP server, its router mounted at /admin/license on a
 * real HTTP server; plus a vendor key pair, a settable clock and an `allow` switch for authorize.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Router } from 'express';
import type { Logger } from '../../../lib/host.js';
import { buildPayload, generateKeyPair, signLicenseKey, type IssueOptions, type PrivateJwk, type PublicJwk } from '../../../lib/formats/index.js';
import { createLicenseManager, type LicenseManager } from '../../../lib/manager.js';
import type { LicenseStatus } from '../../../lib/license/types.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';
import { memoryPort, type MemoryPort } from '../../helpers/web-port.js';
import { createRouter } from '../../../lib/web/router.js';

export const MOUNT = '/admin/license';
export const ADMIN_EMAIL = 'admin@host.example';

export interface WebFixture {
  /** http://127.0.0.1:PORT/admin/license */
  base: string;
  origin: string;
  serverId: string;
  /** the manager's clock; call `refresh()` after moving it */
  clock: { now: Date };
  allow: { value: boolean };
  lm: LicenseManager;
  smtp: SmtpTestServer;
  /** a key signed by the trusted vendor key, for this server unless told otherwise */
  issue(options?: Partial<Omit<IssueOptions, 'now'>> & { startsAt?: Date; ext?: { days: number; uses: number } }): Promise<string>;
  setLicense(key: string): Promise<LicenseStatus>;
  recordAnalysis(project: string, branch: string, loc: number): Promise<void>;
  refresh(): Promise<LicenseStatus>;
  status(): LicenseStatus;
  publicKeys: PublicJwk[];
  close(): Promise<void>;
}

let vendor: ReturnType<typeof generateKeyPair> | undefined;

/** Serves `router` at /admin/license (and a bare JSON route at /bare) on 127.0.0.1. */
export async function serve(router: Router): Promise<{ origin: string; close: () => Promise<void> }> {
  const app = express();
  app.get('/bare', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(MOUNT, router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startWeb(options: { supportEmail?: string; now?: Date; actorOf?: (req: Request) => string; logger?: Logger } = {}): Promise<WebFixture> {
  vendor ??= generateKeyPair();
  const pair = await vendor;
  const clock = { now: options.now ?? new Date('2026-11-23T12:00:00Z') };
  const allow = { value: true };
  const publicKeys = [pair.publicJwk as PublicJwk];
  const dir = mkdtempSync(join(tmpdir(), 'lm-web-'));
  const smtp = await startSmtp();
  const lm = createLicenseManager({
    db: `sqlite:${join(dir, 'instance.db')}`,
    publicKeys,
    productName: 'Code Scanner',
    productVersion: '3.2.1',
    baseUrl: `http://127.0.0.1${MOUNT}`,
    authorize: () => allow.value,
    actorOf: options.actorOf ?? (() => 'admin'),
    ...(options.logger ? { logger: options.logger } : {}),
    getGlobalAdmins: async () => [{ name: 'admin', email: ADMIN_EMAIL }, { name: 'bob' }],
    mail: { transport: smtp.url, from: 'License Manager <lm@host.example>' },
    supportEmail: options.supportEmail ?? 'support@vendor.example',
    now: () => clock.now,
  });
  await lm.start();
  const http = await serve(lm.router());
  return {
    base: `${http.origin}${MOUNT}`,
    origin: http.origin,
    serverId: lm.serverId,
    clock,
    allow,
    lm,
    smtp,
    publicKeys,
    issue: ({ startsAt, ext, ...o } = {}) =>
      signLicenseKey(
        {
          ...buildPayload({
            serverId: lm.serverId,
            licensee: 'Acme Corp',
            type: 'production',
            expires: '2027-12-31',
            edition: 'enterprise',
            ...o,
            now: startsAt ?? new Date(clock.now.getTime() - 86_400_000),
          }),
          ...(ext ? { ext } : {}),
        },
        pair.privateJwk as PrivateJwk,
      ),
    setLicense: (key) => lm.setLicense(key, { actor: 'test' }),
    recordAnalysis: async (project, branch, loc) => {
      await lm.recordAnalysis({ project, branch, loc });
    },
    refresh: () => lm.refresh(),
    status: () => lm.status(),
    close: async () => {
      await http.close();
      await lm.stop();
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A form-posting client with one cookie jar, like a browser without JavaScript. */
export class FormClient {
  private cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }

  async get(path = '/'): Promise<{ res: Response; html: string; token: string }> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader }, redirect: 'manual' });
    this.keep(res);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return { res, html, token };
  }

  async post(path: string, fields: Record<string, string>): Promise<{ res: Response; html: string }> {
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    this.keep(res);
    return { res, html: await res.text() };
  }
}

/** A JSON API call; `type` overrides the content type (for the refusal tests). */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
): Promise<{ status: number; json: any; res: Response }> {
  const res = await fetch(`${base}/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, res };
}

/**
 * The router over the in-memory port (test/helpers/web-port.ts), for what a real manager cannot
 * be made to do on demand: an authorize that throws, a section whose source fails, a logger to
 * read. `change` edits the port before the router is built.
 */
export async function serveMemoryPort(
  change: (port: MemoryPort) => void = () => undefined,
): Promise<{ base: string; port: MemoryPort; close: () => Promise<void> }> {
  vendor ??= generateKeyPair();
  const pair = await vendor;
  const port = memoryPort({
    serverId: '1A2B3C4D-ABCDEFGHIJKLMNOPQRST',
    publicKeys: [pair.publicJwk as PublicJwk],
    now: () => new Date('2026-11-23T12:00:00Z'),
  });
  change(port);
  const http = await serve(createRouter(port));
  return { base: `${http.origin}${MOUNT}`, port, close: http.close };
}

/**
 * Every `METHOD /path` a router serves, read from its layers (use() mounts are prefixed), so a
 * table-driven test fails when a route is added without its row.
 */
export function servedRoutes(router: Router): string[] {
  const walk = (stack: any[], prefix: string): string[] =>
    stack.flatMap((layer): string[] => {
      if (layer.route)
        return Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .map((m) => `${m.toUpperCase()} ${prefix}${layer.route.path}`);
      if (Array.isArray(layer.handle?.stack))
        return walk(layer.handle.stack, typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? prefix + layer.rawPath : prefix);
      return [];
    });
  return walk((router as unknown as { stack: any[] }).stack, '');
}
