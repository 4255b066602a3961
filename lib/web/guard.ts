import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { LicenseError } from '../errors.js';
import type { WebPort } from './port.js';

/**
 * Calls the host's `authorize(req)` before anything else, failing closed: false, a throw or a
 * rejected promise all refuse. A synchronous `true` goes straight on (no promise on the hot path
 * of GET api/status).
 */
export function authorizeFirst(authorize: WebPort['authorize']): RequestHandler {
  const forbidden = (next: NextFunction) => next(new LicenseError('FORBIDDEN'));
  return (req: Request, _res: Response, next: NextFunction) => {
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = authorize(req);
    } catch (err) {
      return next(new LicenseError('FORBIDDEN', { cause: err }));
    }
    if (verdict === true) return next();
    if (verdict && typeof (verdict as Promise<boolean>).then === 'function') {
      (verdict as Promise<boolean>).then(
        (ok) => (ok === true ? next() : forbidden(next)),
        (err: unknown) => next(new LicenseError('FORBIDDEN', { cause: err })),
      );
      return;
    }
    forbidden(next);
  };
}

/**
 * Headers on every response of the module: license details are not to be cached by proxies,
 * and nothing is sniffed or framed elsewhere.
 */
export function baseHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
}

/** The page loads only its own CSS and JS (served by the router): no inline script, no CDN. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'self'; base-uri 'none'";
