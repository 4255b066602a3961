/**
 * The vendor portal (SPEC 19): the web face of the vendor registry for customer engineers and
 * the support rota. An Express app a vendor runs with `license-manager vendor serve` or mounts
 * behind its own proxy.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import helmet from 'helmet';
import { isCodedError, LicenseError } from 'license-manager/formats';
import type { PrivateJwk } from 'license-manager/formats';
import { createCsrf } from 'license-manager/shared';
import type { Mailer } from '../registry/mailer.js';
import type { VendorRegistry } from '../registry/registry.js';
import { API_BASE, apiTokens, createApiRouter } from '../api/index.js';
import { createOidc, type OidcOptions } from '../sso/oidc.js';
import { asyncHandler, type PortalDeps } from './context.js';
import { refusal } from './page.js';
import { can } from './permissions.js';
import { readAsset } from './render.js';
import { authRoutes } from './routes/auth.js';
import { PORTAL_ROUTES } from './routes/index.js';
import { sharedSecret } from 'license-manager/shared';
import { portalUsers } from './users.js';
import { deliverWebhooks, enqueueWebhook } from './webhook-outbox.js';

export interface VendorPortalOptions {
  /** The open vendor registry (`openVendorRegistry`); users and sessions live in its database. */
  registry: VendorRegistry;
  /** The vendor signing key the portal issues with. */
  privateJwk: PrivateJwk;
  /** The clock (default the registry's); every rule and the lockout are judged against it. */
  now?: () => Date;
  /** Mails keys to customers and emergency keys to requesters. */
  mail?: Mailer;
  /** Slack-format incoming webhook that gets one post per issued and emergency license. */
  webhookUrl?: string;
  /** How often pending webhook posts are retried; default 30 s, 0 for never (call deliverWebhooks()). */
  webhookRetrySeconds?: number;
  /** The portal's public address for links in posts; default from each request. */
  baseUrl?: string;
  /** Session lifetime; default 12 hours. */
  sessionHours?: number;
  /** OpenID Connect sign-in (SPEC 23): the identity provider and this portal's client there. */
  oidc?: OidcOptions;
  /** False to turn password sign-in off (single sign-on only); default true. */
  passwordLogin?: boolean;
  /** Express `trust proxy` when the portal sits behind a TLS proxy. */
  trustProxy?: boolean | number | string;
  logger?: { error(message: string, meta?: Record<string, unknown>): void };
}

export interface VendorPortal extends Express {
  /** Posts pending webhook messages now; resolves to how many were delivered. */
  deliverWebhooks(): Promise<number>;
  /** Stops the retry timer (the registry stays open: it is the caller's). */
  close(): Promise<void>;
}

const SESSION_COOKIE = 'vendor_portal.sid';

/**
 * @example
 * const registry = await openVendorRegistry({ db: 'postgres://…/vendor' });
 * const portal = await createVendorPortal({ registry, privateJwk, mail: smtpMailer(process.env.SMTP_URL!), webhookUrl });
 * app.use('/licensing', portal);
 */
export async function createVendorPortal(o: VendorPortalOptions): Promise<VendorPortal> {
  if (!o || typeof o.registry?.issue !== 'function' || !o.registry.db) throw new TypeError('registry must be an open vendor registry (openVendorRegistry).');
  if (!o.privateJwk || typeof (o.privateJwk as { d?: unknown }).d !== 'string') throw new TypeError('privateJwk must be the vendor private JWK.');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('now must be a function that returns a Date.');
  if (o.mail !== undefined && typeof o.mail?.send !== 'function') throw new TypeError('mail must have a send(message) method.');
  if (o.webhookUrl !== undefined && !/^https?:\/\//.test(o.webhookUrl)) throw new TypeError('webhookUrl must be an http:// or https:// URL.');
  if (o.passwordLogin === false && !o.oidc) throw new TypeError('passwordLogin: false needs oidc: without either nobody could sign in.');
  const oidc = o.oidc ? createOidc(o.oidc) : undefined;
  const { registry } = o;
  const db = registry.db;
  const now = o.now ?? registry.now;
  const logger = o.logger ?? { error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? '') };
  const SETTINGS = 'vendor_portal_settings';
  const sessionSecret = await sharedSecret(db, 'session_secret', SETTINGS);

  const deliver = () => deliverWebhooks(db, now);
  const deps: PortalDeps = {
    registry,
    privateJwk: o.privateJwk,
    users: portalUsers(db),
    now,
    mail: o.mail,
    webhookUrl: o.webhookUrl,
    csrf: createCsrf(() => sharedSecret(db, 'csrf_secret', SETTINGS)),
    oidc,
    passwordLogin: o.passwordLogin !== false,
    publicUrl: (req) => o.baseUrl ?? `${req.protocol}://${req.get('host')}${req.baseUrl}`,
    async announce(m) {
      if (!o.webhookUrl) return;
      await enqueueWebhook(db, { dedupeKey: m.dedupeKey, url: o.webhookUrl, text: m.text, now: now() });
      deliver().catch((err) => logger.error('vendor portal: webhook delivery failed', { error: (err as Error).name }));
    },
  };

  const app = express() as unknown as VendorPortal;
  app.disable('x-powered-by');
  if (o.trustProxy !== undefined) app.set('trust proxy', o.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      strictTransportSecurity: false, // the TLS proxy in front decides
    }),
  );
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // The stylesheet and the copy button: no secret in them, so the sign-in page may load them.
  app.get('/assets/:name', (req, res, next) => {
    const asset = readAsset(String(req.params.name));
    if (!asset) return next();
    res.set('Cache-Control', 'private, max-age=300').type(asset.type).send(asset.body);
  });
  // API v1: bearer tokens, no session, no CSRF (no cookie is ever read there).
  app.use(API_BASE, createApiRouter(deps, apiTokens(db), logger));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  const store = new ConnectSessionKnexStore({
    knex: db,
    tableName: 'vendor_sessions',
    createTable: false,
    cleanupInterval: 15 * 60_000,
    onDbCleanupError: (err) => logger.error('vendor portal: session cleanup failed', { error: (err as Error).name }),
  });
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: sessionSecret.toString('base64url'),
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: (o.sessionHours ?? 12) * 3_600_000, path: '/' },
    }),
  );

  // Every form, the sign-in form too, carries a CSRF token (signed double submit, secret in the DB).
  const checkCsrf = asyncHandler(async (req, res, next) => {
    if (req.method !== 'POST' || (await deps.csrf.verify(req))) return next();
    await refusal(req, res, deps, 403, 'CSRF_REJECTED', new LicenseError('CSRF_REJECTED').message);
  });

  for (const r of authRoutes)
    app[r.method](
      r.path,
      checkCsrf,
      asyncHandler((req, res) => r.handle(req, res, deps)),
    );

  // Every other page needs a signed-in user whose role holds the route's permission.
  for (const r of PORTAL_ROUTES) {
    app[r.method](
      r.path,
      requireUser(deps),
      asyncHandler(async (req, res, next) => {
        if (can(res.locals.user.role, r.permission)) return next();
        await refusal(req, res, deps, 403, 'FORBIDDEN', `Your role (${res.locals.user.role}) does not allow this.`);
      }),
      checkCsrf,
      asyncHandler((req, res) => r.handle(req, res, deps)),
    );
  }
  app.use(
    requireUser(deps),
    asyncHandler((req, res) => refusal(req, res, deps, 404, 'NOT_FOUND', 'There is no such page.')),
  );
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const status = (err as { status?: number })?.status;
    const answer =
      err instanceof LicenseError && err.code === 'VALIDATION_FAILED'
        ? refusal(req, res, deps, 404, 'NOT_FOUND', err.message)
        : isCodedError(err)
          ? refusal(req, res, deps, err.status, err.code, err.message)
          : status === 413 || status === 400
            ? refusal(req, res, deps, status, 'VALIDATION_FAILED', 'The form could not be read.')
            : undefined;
    if (!answer) logger.error('vendor portal: unexpected error', { error: err instanceof Error ? err.name : String(err), path: req.path });
    (answer ?? refusal(req, res, deps, 500, 'INTERNAL', 'Something went wrong on our side; the error is logged.')).catch(() => {
      // NOTE: even the refusal page failed (the database is gone): a plain answer, no detail.
      if (!res.headersSent) res.status(500).type('text/plain').send('Something went wrong on our side.');
    });
  });

  const retrySeconds = o.webhookRetrySeconds ?? 30;
  const timer =
    retrySeconds > 0 && o.webhookUrl
      ? setInterval(() => deliver().catch((err) => logger.error('vendor portal: webhook retry failed', { error: (err as Error).name })), retrySeconds * 1000)
      : undefined;
  timer?.unref();
  app.deliverWebhooks = deliver;
  app.close = async () => {
    if (timer) clearInterval(timer);
    if (store.nextDbCleanup) clearTimeout(store.nextDbCleanup);
    await store.ready.catch(() => undefined);
  };
  return app;
}

/** The signed-in user from the session, re-read from the database (a removed user is signed out). */
function requireUser(deps: PortalDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const name = req.session?.user;
    (name ? deps.users.find(name) : Promise.resolve(undefined))
      .then((user) => {
        if (user) {
          res.locals.user = user;
          return next();
        }
        if (req.method === 'GET') {
          const back = req.originalUrl.slice(req.baseUrl.length) || '/';
          return res.redirect(303, `${req.baseUrl}/login?next=${encodeURIComponent(back)}`);
        }
        return refusal(req, res, deps, 401, 'LOGIN_REQUIRED', 'Your session ended: sign in again.');
      })
      .catch(next);
  };
}

export { PORTAL_ROUTES } from './routes/index.js';
export { ROLES, ROLE_PERMISSIONS, PERMISSIONS, can, type Role, type Permission } from './permissions.js';
export { portalUsers, type PortalUser, type Users } from './users.js';
