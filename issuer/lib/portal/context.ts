import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { PrivateJwk } from 'license-manager/formats';
import type { Mailer } from '../registry/mailer.js';
import type { VendorRegistry } from '../registry/registry.js';
import type { Csrf } from 'license-manager/shared';
import type { Oidc, OidcPending } from '../sso/oidc.js';
import type { Permission } from './permissions.js';
import type { PortalUser, Users } from './users.js';

/** What every portal handler may use; built once by createVendorPortal. */
export interface PortalDeps {
  registry: VendorRegistry;
  privateJwk: PrivateJwk;
  users: Users;
  now: () => Date;
  mail?: Mailer;
  webhookUrl?: string;
  csrf: Csrf;
  /** The portal's address as the outside sees it (links in webhook posts). */
  publicUrl(req: Request): string;
  /** Single sign-on, when the portal has an identity provider. */
  oidc?: Oidc;
  /** False with `--no-password-login`: only single sign-on. */
  passwordLogin: boolean;
  /** Queues (and tries at once) the webhook post of an issued or emergency license. */
  announce(o: { dedupeKey: string; text: string }): Promise<void>;
}

/** One route of the portal and the permission it needs: the table the guard and the tests read. */
export interface PortalRoute {
  method: 'get' | 'post';
  path: string;
  permission: Permission;
  handle(req: Request, res: Response, deps: PortalDeps): Promise<void>;
}

declare module 'express-session' {
  interface SessionData {
    user?: string;
    flash?: string;
    oidc?: OidcPending;
  }
}

/** The signed-in user, set by the guard. */
export function currentUser(res: Response): PortalUser {
  return res.locals.user as PortalUser;
}

export function asyncHandler(fn: (req: Request, res: Response, next: NextFunction) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, next).catch(next);
  };
}

/** A form field as trimmed text ('' when absent or not text). */
export function field(req: Request, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
}

/** A query parameter as text. */
export function param(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : '';
}

/** "a, b c" → ['a', 'b', 'c']: lists typed in one field. */
export function listField(req: Request, name: string): string[] {
  return field(req, name)
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** An optional whole number field: '' is undefined; anything else must be digits. */
export function numberField(req: Request, name: string): number | undefined | typeof NaN {
  const v = field(req, name).replace(/[\s_,]/g, '');
  if (v === '') return undefined;
  return /^\d{1,15}$/.test(v) ? Number(v) : NaN;
}
