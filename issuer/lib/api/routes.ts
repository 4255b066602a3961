/**
 * The operations of API v1, one per operation of the OpenAPI document. Handlers parse nothing
 * (the document's schemas did), call the registry with the token as actor, and return the answer.
 */
import type { Request } from 'express';
import { licenseStatus } from '../registry/admin.js';
import type { IssuedLicense } from '../registry/types.js';
import { emergencyText, issuedText, moveText } from '../portal/announce.js';
import type { MoveImport } from '../registry/moves.js';
import type { PortalDeps } from '../portal/context.js';
import { customersPage } from './customers-page.js';
import { tokenActor, type ApiToken } from './tokens.js';

export interface ApiAnswer {
  status?: number;
  body: unknown;
}

export interface ApiRoute {
  method: 'get' | 'post';
  /** The path as the OpenAPI document writes it (`/licenses/{lid}`). */
  path: string;
  handle(req: Request, ctx: { deps: PortalDeps; token: ApiToken; actor: string }): Promise<ApiAnswer>;
}

// biome-ignore lint/suspicious/noExplicitAny: shaped by the OpenAPI document's schema, validated before a handler reads it
type Body = Record<string, any>;
const bodyOf = (req: Request) => req.body as Body;
const p = (req: Request, name: string) => String(req.params[name]);
const withStatus = (l: IssuedLicense, now: Date) => ({ ...l, status: licenseStatus(l, now) });
const moveOut = (r: MoveImport, now: Date) => ({ ...r, license: r.license ? withStatus(r.license, now) : null });

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/customers',
    async handle(req, { deps }) {
      const q = req.query as unknown as { q?: string; after?: string; limit: number };
      return { body: await customersPage(deps.registry.db, { query: q.q ?? '', after: q.after, limit: q.limit }) };
    },
  },
  {
    method: 'post',
    path: '/customers',
    async handle(req, { deps, actor }) {
      const b = bodyOf(req);
      return { status: 201, body: await deps.registry.addCustomer({ company: b.company, accountId: b.accountId, prospect: b.prospect, actor }) };
    },
  },
  {
    method: 'get',
    path: '/customers/{account}',
    handle: async (req, { deps }) => ({ body: await deps.registry.getCustomer(p(req, 'account')) }),
  },
  {
    method: 'get',
    path: '/customers/{account}/subscriptions',
    handle: async (req, { deps }) => ({ body: { items: await deps.registry.subscriptionsOf(p(req, 'account')) } }),
  },
  {
    method: 'post',
    path: '/subscriptions',
    async handle(req, { deps, actor }) {
      const b = bodyOf(req);
      const sub = await deps.registry.addSubscription({
        account: b.account,
        plan: b.plan,
        ends: b.ends,
        users: b.users,
        loc: b.loc,
        edition: b.edition,
        crmSubscriptionId: b.crmSubscriptionId,
        actor,
      });
      return { status: 201, body: sub };
    },
  },
  {
    method: 'get',
    path: '/subscriptions/{id}',
    handle: async (req, { deps }) => ({ body: await deps.registry.getSubscription(p(req, 'id')) }),
  },
  {
    method: 'post',
    path: '/subscriptions/{id}/renew',
    async handle(req, { deps, actor }) {
      const b = bodyOf(req);
      return { body: await deps.registry.renewSubscription({ subscription: p(req, 'id'), ends: b.ends, users: b.users, loc: b.loc, actor }) };
    },
  },
  {
    method: 'post',
    path: '/subscriptions/{id}/archive',
    handle: async (req, { deps, actor }) => ({
      body: await deps.registry.archiveSubscription({ subscription: p(req, 'id'), reason: bodyOf(req).reason, actor }),
    }),
  },
  {
    method: 'post',
    path: '/subscriptions/{id}/licenses',
    async handle(req, { deps, actor }) {
      const b = bodyOf(req);
      const request = {
        subscription: p(req, 'id'),
        serverId: b.serverId,
        type: b.type,
        features: b.features,
        tags: b.tags,
        users: b.users ?? null,
        loc: b.loc ?? null,
        expires: b.expires,
        opportunityId: b.opportunityId,
      };
      // NOTE: users and loc default to the subscription's, as on the Generate license page.
      const sub = await deps.registry.getSubscription(request.subscription);
      if (b.users === undefined) request.users = sub.users;
      if (b.loc === undefined) request.loc = sub.loc;
      const account = await deps.registry.getCustomer(sub.account);
      if (account.prospect) return { status: 202, body: await deps.registry.requestLicense({ ...request, requestedBy: actor }) };
      const license = await deps.registry.issue({ ...request, privateJwk: deps.privateJwk, issuedBy: actor });
      await deps.announce({ dedupeKey: `license_issued:${license.lid}`, text: issuedText(license, portalUrl(req, deps)) });
      return { status: 201, body: withStatus(license, deps.now()) };
    },
  },
  {
    method: 'get',
    path: '/subscriptions/{id}/usage',
    handle: async (req, { deps }) => ({ body: await deps.registry.usage(p(req, 'id')) }),
  },
  {
    method: 'get',
    path: '/licenses',
    async handle(req, { deps }) {
      const q = req.query as unknown as { account?: string; subscription?: string; limit: number };
      const now = deps.now();
      const list = await deps.registry.licenses({ account: q.account, subscription: q.subscription, limit: q.limit });
      return { body: { items: list.slice(0, q.limit).map((l) => withStatus(l, now)) } };
    },
  },
  {
    method: 'get',
    path: '/licenses/{lid}',
    handle: async (req, { deps }) => ({ body: withStatus(await deps.registry.getLicense(p(req, 'lid')), deps.now()) }),
  },
  {
    method: 'post',
    path: '/licenses/{lid}/revoke',
    handle: async (req, { deps, actor }) => ({ body: await deps.registry.revoke({ lid: p(req, 'lid'), reason: bodyOf(req).reason, issuedBy: actor }) }),
  },
  {
    method: 'post',
    path: '/emergency-licenses',
    async handle(req, { deps, actor }) {
      const b = bodyOf(req);
      const result = await deps.registry.emergency({
        privateJwk: deps.privateJwk,
        account: b.account,
        users: b.users,
        email: b.email,
        ticket: b.ticket,
        issuedBy: actor,
        mailer: deps.mail,
      });
      await deps.announce({ dedupeKey: `emergency_issued:${result.license.lid}`, text: emergencyText(result.license, result.emailed, portalUrl(req, deps)) });
      return { status: 201, body: { license: withStatus(result.license, deps.now()), emailed: result.emailed } };
    },
  },
  {
    method: 'get',
    path: '/moves',
    async handle(req, { deps }) {
      const q = req.query as unknown as { status?: 'issued' | 'waiting'; subscription?: string; limit: number };
      return { body: { items: await deps.registry.moves({ status: q.status, subscription: q.subscription, limit: q.limit }) } };
    },
  },
  {
    method: 'post',
    path: '/moves',
    async handle(req, { deps, actor }) {
      const r = await deps.registry.importMove({ text: bodyOf(req).request, privateJwk: deps.privateJwk, importedBy: actor });
      if (!r.duplicate) {
        const kind = r.move.status === 'issued' ? 'move_issued' : 'move_waiting';
        await deps.announce({ dedupeKey: `${kind}:${r.move.id}`, text: moveText(r.move, false, portalUrl(req, deps)) });
      }
      return { status: 201, body: moveOut(r, deps.now()) };
    },
  },
  {
    method: 'post',
    path: '/moves/{move}/approve',
    async handle(req, { deps, actor }) {
      const r = await deps.registry.approveMove({ id: p(req, 'move'), approvedBy: actor, privateJwk: deps.privateJwk });
      if (!r.duplicate) await deps.announce({ dedupeKey: `move_approved:${r.move.id}`, text: moveText(r.move, true, portalUrl(req, deps)) });
      return { body: moveOut(r, deps.now()) };
    },
  },
  {
    method: 'post',
    path: '/usage-reports',
    async handle(req, { deps, actor }) {
      const r = await deps.registry.importUsageReport(bodyOf(req).report);
      await deps.registry.recordEvent({ actor, action: 'usage_report_imported', subscription: r.subscription, detail: { seq: r.seq, duplicate: r.duplicate } });
      return { status: 201, body: r };
    },
  },
];

/** The portal's address (links in webhook posts), from the API's mount point. */
function portalUrl(req: Request, deps: PortalDeps): string {
  const base = deps.publicUrl(req);
  return base.endsWith('/api/v1') ? base.slice(0, -'/api/v1'.length) : base;
}

/** Our name for the token in the audit log. */
export { tokenActor };
