import type { Request } from 'express';
import { VendorError } from '../../errors.js';
import { callbackUrl } from '../../sso/oidc.js';
import { field, param, type PortalRoute } from '../context.js';
import { formError, page } from '../page.js';
import { ssoGroups } from '../../sso/groups.js';

/** Where to go after signing in: a path of this portal only (never another origin). */
function safeNext(value: string): string {
  return /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/customers';
}

const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/** Sign in and out: the only routes without a signed-in user (the permission column is unused). */
export const authRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/login',
    permission: 'read',
    async handle(req, res, deps) {
      await page(req, res, deps, 'login', { title: 'Sign in', next: safeNext(param(req, 'next')) });
    },
  },
  {
    method: 'post',
    path: '/login',
    permission: 'read',
    async handle(req, res, deps) {
      const name = field(req, 'name');
      const next = safeNext(field(req, 'next'));
      if (!deps.passwordLogin) {
        const error = { code: 'FORBIDDEN', status: 403, message: 'Password sign-in is turned off here: sign in with single sign-on.' };
        return page(req, res, deps, 'login', { title: 'Sign in', next, error }, 403);
      }
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
        if (error.code === 'LOGIN_LOCKED')
          await deps.registry.recordEvent({ actor: name.slice(0, 64) || '-', action: 'sign_in_locked' }).catch(() => undefined);
        await page(req, res, deps, 'login', { title: 'Sign in', next, values: { name }, error }, error.status);
      }
    },
  },
  {
    // Single sign-on, step 1: to the identity provider with PKCE, state and nonce kept in the session.
    method: 'get',
    path: '/auth/oidc/login',
    permission: 'read',
    async handle(req, res, deps) {
      if (!deps.oidc)
        return page(req, res, deps, 'refusal', { title: 'Not found', code: 'NOT_FOUND', message: 'Single sign-on is not set up for this portal.' }, 404);
      const { url, pending } = await deps.oidc.start(callbackUrl(deps.publicUrl(req)), safeNext(param(req, 'next')));
      req.session.oidc = pending;
      await save(req);
      res.redirect(303, url);
    },
  },
  {
    // Step 2: the code exchanged (state, nonce and PKCE checked), the role from the groups, a new session.
    method: 'get',
    path: '/auth/oidc/callback',
    permission: 'read',
    async handle(req, res, deps) {
      const pending = req.session.oidc;
      const refuse = async (err: VendorError) => {
        await page(
          req,
          res,
          deps,
          'login',
          { title: 'Sign in', next: pending?.next ?? '/customers', error: { code: err.code, message: err.message, status: err.status } },
          err.status,
        );
      };
      if (!deps.oidc || !pending) return refuse(new VendorError('SSO_FAILED'));
      delete req.session.oidc; // one use: a replayed callback finds nothing to check against
      let identity;
      try {
        const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
        identity = await deps.oidc.finish(new URL(`${callbackUrl(deps.publicUrl(req))}${query}`), pending);
      } catch (err) {
        await deps.registry
          .recordEvent({ actor: '-', action: 'sso_failed', detail: { error: (err as { code?: string }).code ?? (err as Error).name } })
          .catch(() => undefined);
        return refuse(new VendorError('SSO_FAILED'));
      }
      const role = await ssoGroups(deps.registry.db).roleFor(identity.groups);
      if (!role) {
        await deps.registry.recordEvent({ actor: identity.name.slice(0, 64), action: 'sso_refused', detail: { groups: identity.groups.slice(0, 20) } });
        return refuse(new VendorError('SSO_NO_ROLE'));
      }
      try {
        const user = await deps.users.signInSso({ subject: identity.subject, name: identity.name, role }, deps.now());
        await regenerate(req);
        req.session.user = user.name;
        await save(req);
        await deps.registry.recordEvent({ actor: user.name, action: 'signed_in', detail: { via: 'sso', role } });
        res.redirect(303, `${req.baseUrl}${pending.next}`);
      } catch (err) {
        if (err instanceof VendorError) return refuse(err);
        throw err;
      }
    },
  },
  {
    method: 'post',
    path: '/logout',
    permission: 'read',
    async handle(req, res) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      res.clearCookie('vendor_portal.sid', { path: '/' });
      res.redirect(303, `${req.baseUrl}/login`);
    },
  },
];
