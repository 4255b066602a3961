/**
 * An in-process vendor portal on a real database and a real HTTP port, with one user per role,
 * and a small browser-like client (cookie jar, CSRF token taken from the page it came from).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openVendorRegistry, type VendorRegistry } from '../../../lib/registry/index.js';
import { createVendorPortal, type VendorPortal, type VendorPortalOptions } from '../../../lib/portal/index.js';
import { portalUsers } from '../../../lib/portal/users.js';
import { ROLES, type Role } from '../../../lib/portal/permissions.js';
import type { TestDb } from '../../../../test/helpers/dbs.js';
import { vendorKeys } from '../registry/helpers.js';

export const PASSWORD = 'correct horse battery staple';

export interface PortalFixture {
  url: string;
  registry: VendorRegistry;
  portal: VendorPortal;
  close(): Promise<void>;
}

export async function startPortal(db: TestDb, o: { now: () => Date; users?: boolean } & Partial<VendorPortalOptions>): Promise<PortalFixture> {
  const registry = await openVendorRegistry({ db: db.config, now: o.now });
  const { privateJwk } = await vendorKeys();
  if (o.users !== false) {
    const users = portalUsers(registry.db);
    for (const role of ROLES) if (!(await users.find(role))) await users.add({ name: role, role, password: PASSWORD }, o.now());
  }
  const portal = await createVendorPortal({ registry, privateJwk, webhookRetrySeconds: 0, logger: { error: () => undefined }, ...o });
  const server: Server = createServer(portal);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    registry,
    portal,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await portal.close();
      await registry.close();
    },
  };
}

export interface Reply {
  status: number;
  location: string | null;
  text: string;
}

/** A client that keeps cookies and the last CSRF token it saw, like a browser tab. */
export class Client {
  private readonly jar = new Map<string, string>();
  token = '';
  constructor(readonly base: string) {}

  get cookies(): Map<string, string> {
    return this.jar;
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>, o: { csrf?: boolean } = {}): Promise<Reply> {
    const body =
      form === undefined && method === 'GET' ? undefined : new URLSearchParams({ ...(o.csrf === false ? {} : { _csrf: this.token }), ...(form ?? {}) });
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      body,
      headers: { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const value = pair!.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.jar.delete(pair!.slice(0, i));
      else this.jar.set(pair!.slice(0, i), value);
    }
    const text = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text);
    if (token) this.token = token[1]!;
    return { status: res.status, location: res.headers.get('location'), text };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, form: Record<string, string> = {}, o: { csrf?: boolean } = {}) => this.request('POST', path, form, o);

  async login(name: string, password = PASSWORD): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { name, password, next: '/customers' });
  }
}

export async function signedIn(base: string, role: Role): Promise<Client> {
  const c = new Client(base);
  const r = await c.login(role);
  if (r.status !== 303) throw new Error(`sign-in of ${role} answered ${r.status}`);
  await c.get('/customers');
  return c;
}
