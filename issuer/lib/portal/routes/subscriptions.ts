import { currentUser, field, numberField, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash } from '../page.js';
import type { PortalDeps } from '../context.js';
import type { Request, Response } from 'express';
import { LicenseError } from 'license-manager/formats';

const enc = encodeURIComponent;

/** A limit typed in a form: empty is none, anything but digits is refused with a sentence naming the field. */
export function limitField(req: Request, name: string, label: string): number | undefined {
  const n = numberField(req, name);
  if (Number.isNaN(n)) throw new LicenseError('VALIDATION_FAILED', { detail: `${label} must be a whole number (or empty for no limit).` });
  return n;
}

/** The subscription page: facts, licenses, CRM ID, hosted services, renew, archive, timeline. */
export async function subscriptionPage(req: Request, res: Response, deps: PortalDeps, id: string, extra: Record<string, unknown> = {}, status = 200) {
  const subscription = await deps.registry.getSubscription(id);
  const [licenses, timeline, entitlements, account, moveBudget] = await Promise.all([
    deps.registry.licenses({ subscription: id }),
    deps.registry.events({ subscription: id, limit: 100 }),
    deps.registry.entitlements(id),
    deps.registry.getCustomer(subscription.account),
    deps.registry.moveBudget(id),
  ]);
  await page(
    req,
    res,
    deps,
    'subscription',
    { title: `Subscription ${id}`, subscription, account, licenses, timeline, entitlements, moveBudget, now: deps.now(), ...extra },
    status,
  );
}

export const subscriptionRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/customers/:account/subscriptions/new',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const account = await deps.registry.getCustomer(String(req.params.account));
      await page(req, res, deps, 'subscription-new', { title: 'New subscription', account, values: { plan: 'enterprise', edition: 'enterprise' } });
    },
  },
  {
    method: 'post',
    path: '/customers/:account/subscriptions',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const account = await deps.registry.getCustomer(String(req.params.account));
      const values = {
        plan: field(req, 'plan'),
        ends: field(req, 'ends'),
        users: field(req, 'users'),
        loc: field(req, 'loc'),
        edition: field(req, 'edition'),
        crmSubscriptionId: field(req, 'crmSubscriptionId'),
      };
      try {
        const sub = await deps.registry.addSubscription({
          account: account.name,
          plan: values.plan,
          ends: values.ends,
          users: limitField(req, 'users', 'Users'),
          loc: limitField(req, 'loc', 'Lines of code'),
          edition: values.edition || undefined,
          crmSubscriptionId: values.crmSubscriptionId,
          actor: currentUser(res).name,
        });
        await redirectWithFlash(req, res, `/subscriptions/${enc(sub.id)}`, `The subscription ${sub.id} is created.`);
      } catch (err) {
        const error = formError(err);
        await page(req, res, deps, 'subscription-new', { title: 'New subscription', account, values, error }, error.status);
      }
    },
  },
  {
    method: 'get',
    path: '/subscriptions/:id',
    permission: 'read',
    async handle(req, res, deps) {
      await subscriptionPage(req, res, deps, String(req.params.id));
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/renew',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const id = String(req.params.id);
      try {
        await deps.registry.renewSubscription({
          subscription: id,
          ends: field(req, 'ends'),
          users: limitField(req, 'users', 'Users'),
          loc: limitField(req, 'loc', 'Lines of code'),
          actor: currentUser(res).name,
        });
        await redirectWithFlash(req, res, `/subscriptions/${enc(id)}`, `The subscription now runs until ${field(req, 'ends')}.`);
      } catch (err) {
        const error = formError(err);
        await subscriptionPage(req, res, deps, id, { renewError: error, renewValues: { ends: field(req, 'ends') } }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/crm',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const id = String(req.params.id);
      try {
        await deps.registry.setCrmSubscriptionId({ subscription: id, crmSubscriptionId: field(req, 'crmSubscriptionId'), actor: currentUser(res).name });
        await redirectWithFlash(req, res, `/subscriptions/${enc(id)}`, 'The CRM subscription ID is saved.');
      } catch (err) {
        const error = formError(err);
        await subscriptionPage(req, res, deps, id, { crmError: error }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/hosted',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const id = String(req.params.id);
      const enabled = field(req, 'hostedServices') === 'on';
      const sub = await deps.registry.getSubscription(id);
      // NOTE: turning access on asks first, like the seed's "Click Enable when the warning shows".
      if (enabled && !sub.hostedServices && field(req, 'confirm') !== 'yes') {
        await page(req, res, deps, 'confirm-hosted', { title: 'Enable hosted services', subscription: sub });
        return;
      }
      await deps.registry.setHostedServices({ subscription: id, enabled, actor: currentUser(res).name });
      await redirectWithFlash(
        req,
        res,
        `/subscriptions/${enc(id)}`,
        enabled ? 'Hosted services are enabled for this subscription.' : 'Hosted services are turned off for this subscription.',
      );
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/archive',
    permission: 'licenses.revoke',
    async handle(req, res, deps) {
      const id = String(req.params.id);
      try {
        const { revoked } = await deps.registry.archiveSubscription({ subscription: id, reason: field(req, 'reason'), actor: currentUser(res).name });
        await redirectWithFlash(
          req,
          res,
          `/subscriptions/${enc(id)}`,
          `The subscription is archived; ${revoked.length} license${revoked.length === 1 ? ' is' : 's are'} revoked.`,
        );
      } catch (err) {
        const error = formError(err);
        await subscriptionPage(req, res, deps, id, { archiveError: error }, error.status);
      }
    },
  },
];
