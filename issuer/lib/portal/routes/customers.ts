import { currentUser, field, param, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash } from '../page.js';

const enc = encodeURIComponent;

/** Customers: search by company or account ID, add one (maybe a prospect), the prospect flag. */
export const customerRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/customers',
    permission: 'read',
    async handle(req, res, deps) {
      const query = param(req, 'q').slice(0, 100);
      const customers = await deps.registry.searchCustomers({ query, limit: 100 });
      await page(req, res, deps, 'customers', { title: 'Customers', query, customers });
    },
  },
  {
    method: 'get',
    path: '/customers/new',
    permission: 'customers.write',
    async handle(req, res, deps) {
      await page(req, res, deps, 'customer-new', { title: 'New customer' });
    },
  },
  {
    method: 'post',
    path: '/customers',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const values = { company: field(req, 'company'), accountId: field(req, 'accountId'), prospect: field(req, 'prospect') === 'on' };
      try {
        const account = await deps.registry.addCustomer({ ...values, actor: currentUser(res).name });
        await redirectWithFlash(req, res, `/customers/${enc(account.name)}`, `The customer ${account.name} is added.`);
      } catch (err) {
        const error = formError(err);
        await page(req, res, deps, 'customer-new', { title: 'New customer', values, error }, error.status);
      }
    },
  },
  {
    method: 'get',
    path: '/customers/:account',
    permission: 'read',
    async handle(req, res, deps) {
      const account = await deps.registry.getCustomer(String(req.params.account));
      const subscriptions = await deps.registry.subscriptionsOf(account.name);
      const licenses = await deps.registry.licenses({ account: account.name, limit: 50 });
      await page(req, res, deps, 'customer', { title: account.name, account, subscriptions, licenses, now: deps.now() });
    },
  },
  {
    method: 'post',
    path: '/customers/:account/prospect',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const prospect = field(req, 'prospect') === 'on';
      const account = await deps.registry.setProspect({ account: String(req.params.account), prospect, actor: currentUser(res).name });
      await redirectWithFlash(
        req,
        res,
        `/customers/${enc(account.name)}`,
        prospect ? `${account.name} is marked as a prospect.` : `${account.name} is a customer, no longer a prospect.`,
      );
    },
  },
];
