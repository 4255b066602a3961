import type { ErrorRequestHandler } from 'express';
import { isLicenseError, messages, type LicenseErrorCode } from '../errors.js';
import type { Logger } from '../host.js';
import { RequestRefused } from './refusal.js';
import { PAGE_CSP } from './guard.js';
import { redactError } from '../redact.js';

/** What the error middleware answers: a status, a SPEC 12 code and a sentence for people. */
export interface Refusal {
  status: number;
  code: LicenseErrorCode | 'INTERNAL';
  message: string;
}

export const INTERNAL_SENTENCE = 'Something went wrong on the server. The details are in the server log.';

/** body-parser's errors carry a `type`; they are the client's fault, said in our words. */
const parserErrors: Record<string, Refusal> = {
  'entity.too.large': { status: 413, code: 'VALIDATION_FAILED', message: 'The request body is larger than 64 KiB.' },
  'entity.parse.failed': { status: 400, code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON.' },
  'encoding.unsupported': { status: 415, code: 'VALIDATION_FAILED', message: 'The request body encoding is not supported.' },
  'charset.unsupported': { status: 415, code: 'VALIDATION_FAILED', message: 'The request body charset is not supported.' },
  'request.aborted': { status: 400, code: 'VALIDATION_FAILED', message: 'The request was aborted.' },
  'parameters.too.many': { status: 413, code: 'VALIDATION_FAILED', message: 'The form has too many fields.' },
};

const UNDECODABLE: Refusal = { status: 400, code: 'VALIDATION_FAILED', message: 'The request body does not decode as its Content-Encoding says.' };

/**
 * Maps any error to a refusal. Only LicenseError, our edge refusals and body-parser's typed
 * errors say what went wrong; anything else is a 500 with a generic sentence (raw database or
 * SMTP errors never reach the response) and is logged.
 */
export function refusalOf(err: unknown, logger: Logger): Refusal {
  if (isLicenseError(err)) {
    if (err.code === 'FORBIDDEN') {
      // authorize threw: a host bug worth a log line, refused all the same (fail closed)
      if (err.cause !== undefined) logger.warn('license-manager: authorize(req) failed; the request was refused', { error: redactError(err.cause) });
      return { status: 403, code: 'FORBIDDEN', message: messages.FORBIDDEN };
    }
    return { status: err.status, code: err.code, message: err.message };
  }
  if (err instanceof RequestRefused) return { status: err.status, code: err.code, message: err.message };
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && parserErrors[type]) return parserErrors[type];
  // SPEC 15.6: a gzip/deflate/br body that does not decode is the client's fault (zlib's Z_* codes, brotli's ERR__*)
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(Z_|ERR__)/.test(code)) return UNDECODABLE;
  logger.error('license-manager: request failed', { error: redactError(err) });
  return { status: 500, code: 'INTERNAL', message: INTERNAL_SENTENCE };
}

/**
 * The router's one error middleware: JSON `{ error: { code, message } }` under `api/`, the
 * refusal page elsewhere. `renderRefusal` draws that page.
 */
export function errorHandler(logger: Logger, renderRefusal: (refusal: Refusal, base: string) => string): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const refusal = refusalOf(err, logger);
    res.status(refusal.status);
    if (req.path.startsWith('/api/')) {
      res.json({ error: { code: refusal.code, message: refusal.message } });
      return;
    }
    res.set('Content-Security-Policy', PAGE_CSP).type('html').send(renderRefusal(refusal, req.baseUrl));
  };
}
