import type { Request } from 'express';
import { field, param, type PortalRoute } from '../context.js';
import { formError, page } from '../page.js';

/** Where to go after signing in: a path of this portal only (never another origin). */
function safeNext(value: string): string {
  return /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/customers';
}

const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/** Sign in and out: the only routes without a signed-in user (the permission column is unused). */
export const authRoutes: PortalRoute[] = [
  {
    method: 'get', path: '/login', permission: 'read',
    async handle(req, res, deps) {
      await page(req, res, deps, 'login', { title: 'Sign in', next: safeNext(param(req, 'next')) });
    },
  },
  {
    method: 'post', path: '/login', permission: 'read',
    async handle(req, res, deps) {
      const name = field(req, 'name');
      const next = safeNext(field(req, 'next'));
      const password = (req.body as Record<string, unknown>).password;
      try {
        const user = await deps.users.signIn(name, typeof password === 'string' ? password : '', deps.now());
        // NOTE: a new session ID at sign-in, so an ID planted before it is worth nothing.
        await regenerate(req);
        req.session.user = user.name;
        await save(req);
        await deps.registry.recordEvent({ actor: user.name, action: 'signed_in' });
        res.redirect(303, `${req.baseUrl}${next}`);
      } catch (err) {
        const error = formError(err);
        if (error.code === 'LOGIN_LOCKED') await deps.registry.recordEvent({ actor: name.slice(0, 64) || '-', action: 'sign_in_locked' }).catch(() => undefined);
        await page(req, res, deps, 'login', { title: 'Sign in', next, values: { name }, error }, error.status);
      }
    },
  },
  {
    method: 'post', path: '/logout', permission: 'read',
    async handle(req, res) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      res.clearCookie('vendor_portal.sid', { path: '/' });
      res.redirect(303, `${req.baseUrl}/login`);
    },
  },
];
