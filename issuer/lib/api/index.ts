/**
 * API v1 (SPEC 23) under the portal at `/api/v1`: bearer tokens, each with a role; the same
 * permission table as the pages (the operation's `x-permission` in the OpenAPI document);
 * input validated against the document; errors `{ error: { code, message } }`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isCodedError, LicenseError } from 'license-manager/formats';
import { VendorError } from '../errors.js';
import type { PortalDeps } from '../portal/context.js';
import { can, type Permission } from '../portal/permissions.js';
import { openApiDocument } from './openapi.js';
import { API_ROUTES, type ApiRoute } from './routes.js';
import { tokenActor, type ApiToken, type ApiTokens } from './tokens.js';
import { describeInvalid, operationValidators } from './validate.js';

export const API_BASE = '/api/v1';

type Operations = Record<string, Record<string, { 'x-permission': Permission }>>;

/** The permission an operation needs, as the document says. */
export function permissionOf(route: Pick<ApiRoute, 'method' | 'path'>): Permission {
  const permission = (openApiDocument.paths as unknown as Operations)[route.path]?.[route.method]?.['x-permission'];
  if (!permission) throw new TypeError(`The OpenAPI document has no ${route.method.toUpperCase()} ${route.path}.`);
  return permission;
}

const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

const sendError = (res: Response, status: number, code: string, message: string) => {
  res.status(status).json({ error: { code, message } });
};

export function createApiRouter(deps: PortalDeps, tokens: ApiTokens, logger: { error(message: string, meta?: Record<string, unknown>): void }): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // NOTE: the document is public, like the sign-in page: it holds no data, and clients read it before they have a token.
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  router.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    (m ? tokens.authenticate(m[1]!, deps.now()) : Promise.resolve(undefined))
      .then((token) => {
        if (!token) {
          res.set('WWW-Authenticate', 'Bearer realm="license-manager"');
          const e = new VendorError('API_TOKEN_INVALID');
          return sendError(res, e.status, e.code, e.message);
        }
        res.locals.token = token;
        next();
      })
      .catch(next);
  });
  router.use(express.json({ limit: '2mb' }));

  for (const route of API_ROUTES) {
    const permission = permissionOf(route);
    const validators = operationValidators(route.path, route.method);
    router[route.method](expressPath(route.path), (req: Request, res: Response, next: NextFunction) => {
      const token = res.locals.token as ApiToken;
      if (!can(token.role, permission)) {
        return sendError(res, 403, 'FORBIDDEN', `This token's role (${token.role}) does not allow this: it needs the permission ${permission}.`);
      }
      // Express 5's req.query is a getter; the validated, coerced copy replaces it for the handler.
      if (validators.query) {
        const query = { ...(req.query as Record<string, unknown>) };
        if (!validators.query(query)) return next(describeInvalid('query', validators.query.errors));
        Object.defineProperty(req, 'query', { value: query, configurable: true, enumerable: true, writable: true });
      }
      if (validators.body && !validators.body(req.body)) return next(describeInvalid('body', validators.body.errors));
      route
        .handle(req, { deps, token, actor: tokenActor(token.name) })
        .then((answer) => {
          res.status(answer.status ?? 200).json(answer.body);
        })
        .catch((err: unknown) => {
          const missing = notFoundMessage(err, req);
          if (missing) return sendError(res, 404, 'NOT_FOUND', missing);
          next(err);
        });
    });
  }

  router.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'There is no such API operation; see /api/v1/openapi.json.'));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const status = (err as { status?: number; type?: string })?.status;
    if (isCodedError(err)) return sendError(res, err.status, err.code, err.message);
    if (err instanceof TypeError) return sendError(res, 400, 'VALIDATION_FAILED', err.message);
    if (status === 413) return sendError(res, 413, 'VALIDATION_FAILED', 'The body is larger than 2 MB.');
    if (status === 400 || status === 415) return sendError(res, 400, 'VALIDATION_FAILED', 'The body is not valid JSON.');
    logger.error('vendor API: unexpected error', { error: err instanceof Error ? err.name : String(err), path: req.path });
    sendError(res, 500, 'INTERNAL', 'Something went wrong on our side; the error is logged.');
  });
  return router;
}

/** A lookup of the path's own customer, subscription or license that found none is a 404, not a bad request. */
function notFoundMessage(err: unknown, req: Request): string | undefined {
  if (!(err instanceof LicenseError) || err.code !== 'VALIDATION_FAILED') return undefined;
  const named = Object.entries(err.data).some(([k, v]) => typeof v === 'string' && req.params[k === 'subscription' ? 'id' : k] === v);
  return named ? err.message : undefined;
}

export { apiTokens, tokenActor, type ApiToken, type ApiTokens } from './tokens.js';
export { openApiDocument } from './openapi.js';
export { API_ROUTES } from './routes.js';
