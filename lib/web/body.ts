import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { RequestRefused } from './refusal.js';

/** Largest request body the module reads, JSON or form (a license key is at most 16 KiB). */
export const BODY_LIMIT = '64kb';

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * JSON API writes accept `application/json` only, with or without a body. Besides being the
 * documented format, this is the API's CSRF defence: a cross-site page cannot send that content
 * type without a CORS preflight, which this router never answers.
 */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (mediaType(req) !== 'application/json') {
    next(new RequestRefused(415, 'VALIDATION_FAILED', 'This API accepts application/json only.'));
    return;
  }
  next();
}

/** Middlewares for a JSON API write: content type first, then the size-limited parser. */
export const jsonBody: RequestHandler[] = [requireJson, express.json({ limit: BODY_LIMIT, type: () => true })];

/** The same for a route that takes a larger document (a revocation list: up to 100,000 keys). */
export const largeJsonBody = (limit: number): RequestHandler[] => [requireJson, express.json({ limit, type: () => true })];

/** Parser for the page's plain HTML forms. */
export const formBody: RequestHandler = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });
