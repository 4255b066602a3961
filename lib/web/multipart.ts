import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BODY_LIMIT, formBody } from './body.js';
import { RequestRefused } from './refusal.js';

/**
 * The Set new license form: a plain form, or `multipart/form-data` when it carries an uploaded
 * key file (SPEC 16), so the upload works without script too. Fields become `req.body` strings;
 * a file field's name is kept as `<field>Name`. Bodies stay under the same 64 KiB limit.
 */
export const keyForm: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) return formBody(req, res, next);
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
  if (!boundary) return next(new RequestRefused(400, 'VALIDATION_FAILED', 'The form upload has no boundary.'));
  raw(req, res, (err?: unknown) => {
    if (err) return next(err);
    try {
      req.body = parseMultipart(req.body as Buffer, (boundary[1] ?? boundary[2])!.trim());
      next();
    } catch (e) {
      next(e);
    }
  });
};

const raw = express.raw({ type: () => true, limit: BODY_LIMIT });

/** RFC 7578 form data: small text fields and files, read whole (the body is already bounded). */
export function parseMultipart(body: Buffer, boundary: string): Record<string, string> {
  // latin1 keeps every byte as one character, so splitting never breaks a UTF-8 sequence
  const text = body.toString('latin1');
  const fields: Record<string, string> = {};
  for (const part of text.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (!name) continue;
    if (Object.keys(fields).length >= 20) throw new RequestRefused(413, 'VALIDATION_FAILED', 'The form has too many fields.');
    const value = Buffer.from(part.slice(split + 4).replace(/\r\n$/, ''), 'latin1').toString('utf8');
    fields[name] = value;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) fields[`${name}Name`] = Buffer.from(filename, 'latin1').toString('utf8');
  }
  return fields;
}
