import type { Request, Response } from 'express';
import { isCodedError } from 'license-manager/formats';
import type { PortalDeps } from './context.js';
import { can, type Permission } from './permissions.js';
import { renderView } from './render.js';
import type { PortalUser } from './users.js';

/** The portal's navigation: a link shows only to those who may follow it. */
export const NAV: readonly { href: string; label: string; permission: Permission }[] = [
  { href: '/customers', label: 'Customers', permission: 'read' },
  { href: '/licenses', label: 'Licenses', permission: 'read' },
  { href: '/approvals', label: 'Approvals', permission: 'read' },
  { href: '/moves', label: 'Moves', permission: 'read' },
  { href: '/emergency', label: 'Emergency license', permission: 'emergency.issue' },
  { href: '/usage', label: 'Usage reports', permission: 'read' },
  { href: '/audit', label: 'Audit log', permission: 'read' },
  { href: '/users', label: 'Users', permission: 'users.manage' },
  { href: '/access', label: 'API tokens', permission: 'users.manage' },
];

/** Renders a portal page with what every page needs: the user, the CSRF token, the flash, the nav. */
export async function page(req: Request, res: Response, deps: PortalDeps, view: string, locals: Record<string, unknown>, status = 200): Promise<void> {
  const user = res.locals.user as PortalUser | undefined;
  const flash = req.session?.flash;
  if (flash) delete req.session.flash;
  const html = renderView(view, {
    base: req.baseUrl,
    path: req.path,
    user,
    csrfToken: await deps.csrf.issue(req, res),
    can: (p: Permission) => (user ? can(user.role, p) : false),
    nav: user ? NAV.filter((n) => can(user.role, n.permission)) : [],
    flash,
    sso: Boolean(deps.oidc),
    passwordLogin: deps.passwordLogin,
    error: undefined,
    values: {},
    ...locals,
  });
  res.status(status).type('html').send(html);
}

/**
 * Sets the sentence the next page shows at its top, then redirects there (303).
 * NOTE: the session is saved before the redirect is sent: express-session would otherwise send the
 * headers first and save after, and a quick browser reads the next page before the flash is stored.
 */
export async function redirectWithFlash(req: Request, res: Response, to: string, flash: string): Promise<void> {
  req.session.flash = flash;
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  res.redirect(303, `${req.baseUrl}${to}`);
}

export interface FormError {
  code: string;
  message: string;
  status: number;
}

/** A refused input as the form shows it; anything else is rethrown to the error middleware. */
export function formError(err: unknown): FormError {
  if (isCodedError(err)) return { code: err.code, message: err.message, status: err.status };
  if (err instanceof TypeError) return { code: 'VALIDATION_FAILED', message: err.message, status: 400 };
  throw err;
}

/** A refusal page (403, 404, CSRF) with the code and the sentence. */
export function refusal(req: Request, res: Response, deps: PortalDeps, status: number, code: string, message: string): Promise<void> {
  return page(
    req,
    res,
    deps,
    'refusal',
    { title: status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Not allowed', code, message },
    status,
  );
}
