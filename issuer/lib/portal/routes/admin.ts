import { currentUser, field, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash } from '../page.js';
import { ROLES } from '../permissions.js';
import { outboxEntries } from '../webhook-outbox.js';

/** The home page, usage reports, the audit log, users. */
export const adminRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/',
    permission: 'read',
    async handle(req, res) {
      res.redirect(303, `${req.baseUrl}/customers`);
    },
  },
  {
    method: 'get',
    path: '/usage',
    permission: 'read',
    async handle(req, res, deps) {
      // Usage reports (SPEC 18.1) imported with `vendor usage import`: each month's peak against the limit.
      const subscriptions = await deps.registry.subscriptionsWithUsage({ limit: 50 });
      const reports = await Promise.all(subscriptions.map((s) => deps.registry.usage(s)));
      await page(req, res, deps, 'usage', { title: 'Usage reports', reports });
    },
  },
  {
    method: 'post',
    path: '/usage',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const text = field(req, 'report');
      try {
        const r = await deps.registry.importUsageReport(text);
        await deps.registry.recordEvent({
          actor: currentUser(res).name,
          action: 'usage_report_imported',
          subscription: r.subscription,
          detail: { seq: r.seq, duplicate: r.duplicate },
        });
        const note = r.duplicate ? ' (already imported: nothing changed)' : r.warnings.length ? ` Warnings: ${r.warnings.join(' ')}` : '';
        await redirectWithFlash(req, res, '/usage', `Usage report ${r.seq} of subscription ${r.subscription} is imported.${note}`);
      } catch (err) {
        const error = formError(err);
        const subscriptions = await deps.registry.subscriptionsWithUsage({ limit: 50 });
        const reports = await Promise.all(subscriptions.map((s) => deps.registry.usage(s)));
        await page(req, res, deps, 'usage', { title: 'Usage reports', reports, error }, error.status);
      }
    },
  },
  {
    method: 'get',
    path: '/audit',
    permission: 'read',
    async handle(req, res, deps) {
      const [events, deliveries] = await Promise.all([deps.registry.events({ limit: 200 }), outboxEntries(deps.registry.db, 50)]);
      await page(req, res, deps, 'audit', { title: 'Audit log', events, deliveries });
    },
  },
  {
    method: 'get',
    path: '/users',
    permission: 'users.manage',
    async handle(req, res, deps) {
      await page(req, res, deps, 'users', { title: 'Users', users: await deps.users.list(), roles: ROLES });
    },
  },
  {
    method: 'post',
    path: '/users',
    permission: 'users.manage',
    async handle(req, res, deps) {
      const values = { name: field(req, 'name'), role: field(req, 'role') };
      try {
        const user = await deps.users.add({ ...values, password: String((req.body as Record<string, unknown>).password ?? '') }, deps.now());
        await deps.registry.recordEvent({ actor: currentUser(res).name, action: 'user_added', detail: { name: user.name, role: user.role } });
        await redirectWithFlash(req, res, '/users', `The user ${user.name} (${user.role}) is added.`);
      } catch (err) {
        const error = formError(err);
        await page(req, res, deps, 'users', { title: 'Users', users: await deps.users.list(), roles: ROLES, values, error }, error.status);
      }
    },
  },
];
