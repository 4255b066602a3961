/**
 * A host app for the router's tests: the License Manager mounted at /admin/license on a real
 * HTTP server, a vendor key pair, a settable clock and an `allow` switch for authorize.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { buildPayload, generateKeyPair, signLicenseKey, type IssueOptions, type PrivateJwk, type PublicJwk } from '../../../lib/issuer/index.js';
import type { LicenseStatus } from '../../../lib/license/types.js';
import { createRouter } from '../../../lib/web/router.js';
import { memoryPort, type MemoryPort } from '../../helpers/web-port.js';

export const MOUNT = '/admin/license';

export interface WebFixture {
  /** http://127.0.0.1:PORT/admin/license */
  base: string;
  origin: string;
  serverId: string;
  clock: { now: Date };
  allow: { value: boolean };
  /** a key signed by the trusted vendor key, for this server unless told otherwise */
  issue(options?: Partial<Omit<IssueOptions, 'now'>>): Promise<string>;
  setLicense(key: string): Promise<LicenseStatus>;
  recordAnalysis(project: string, branch: string, loc: number): Promise<void>;
  status(): LicenseStatus;
  port: MemoryPort;
  publicKeys: PublicJwk[];
  close(): Promise<void>;
}

let vendor: Promise<Awaited<ReturnType<typeof generateKeyPair>>> | undefined;

export async function startWeb(options: { supportEmail?: string; now?: Date } = {}): Promise<WebFixture> {
  vendor ??= generateKeyPair();
  const pair = await vendor;
  const clock = { now: options.now ?? new Date('2026-11-23T12:00:00Z') };
  const allow = { value: true };
  const publicKeys = [pair.publicJwk as PublicJwk];
  const serverId = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
  const port = memoryPort({ serverId, publicKeys, now: () => clock.now, authorize: () => allow.value, supportEmail: options.supportEmail ?? 'support@vendor.example' });
  const app = express();
  app.get('/bare', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(MOUNT, createRouter(port));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base: `${origin}${MOUNT}`,
    origin,
    serverId,
    clock,
    allow,
    port,
    publicKeys,
    issue: (o = {}) =>
      signLicenseKey(
        buildPayload({ serverId, licensee: 'Acme Corp', type: 'production', expires: '2027-12-31', edition: 'enterprise', ...o, now: new Date(clock.now.getTime() - 86_400_000) }),
        pair.privateJwk as PrivateJwk,
      ),
    setLicense: (key) => port.setLicense(key, { actor: 'test' }),
    recordAnalysis: async (project, branch, loc) => {
      port.projects.push({ project, branch, loc, share: null, lastAnalysisAt: clock.now.toISOString() });
    },
    status: () => port.status(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
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
export async function api(base: string, method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; json: any; res: Response }> {
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
