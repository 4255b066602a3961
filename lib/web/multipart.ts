import busboy from 'busboy';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BODY_LIMIT, formBody } from './body.js';
import { RequestRefused } from './refusal.js';

const MAX_FIELDS = 20;
/** BODY_LIMIT in bytes: a pasted field may be as large as the body (busboy's own default is 1 MiB) */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The Set new license form: a plain form, or `multipart/form-data` when it carries an uploaded
 * key file (SPEC 16), so the upload works without script too. Fields become `req.body` strings;
 * a file field's name is kept as `<field>Name`. Bodies stay under the same 64 KiB limit.
 */
export const keyForm: RequestHandler = formWithFiles(formBody, express.raw({ type: () => true, limit: BODY_LIMIT }), BODY_LIMIT_BYTES);

/** The revocation-list form (SPEC 21): a list of up to 100,000 keys, pasted or uploaded. */
export const largeForm = (limit: number): RequestHandler =>
  formWithFiles(express.urlencoded({ extended: false, limit, parameterLimit: MAX_FIELDS }), express.raw({ type: () => true, limit }), limit);

function formWithFiles(plain: RequestHandler, raw: RequestHandler, fieldSize: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(type)) return plain(req, res, next);
    // NOTE: the body is read whole first (bounded, and decoded where it is compressed, as every form
    // is), then parsed by busboy: its limits bound the parts, their headers and their count.
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      parseMultipart(req.headers, req.body as Buffer, fieldSize).then((fields) => {
        req.body = fields;
        next();
      }, next);
    });
  };
}

/** RFC 7578 form data, parsed by busboy: small text fields and files as UTF-8 text, `filename*` understood. */
export function parseMultipart(headers: Request['headers'], body: Buffer, fieldSize = BODY_LIMIT_BYTES): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, defParamCharset: 'utf8', limits: { fields: MAX_FIELDS, files: MAX_FIELDS, parts: MAX_FIELDS, headerPairs: 20, fieldSize } });
    } catch {
      return reject(new RequestRefused(400, 'VALIDATION_FAILED', 'The form upload has no boundary.'));
    }
    const fields: Record<string, string> = {};
    const reading: Promise<void>[] = [];
    let refusal: RequestRefused | undefined;
    const tooMany = () => (refusal ??= new RequestRefused(413, 'VALIDATION_FAILED', 'The form has too many fields.'));
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      reading.push(
        new Promise<void>((done) =>
          stream.on('close', () => {
            fields[name] = Buffer.concat(chunks).toString('utf8');
            if (info.filename !== undefined) fields[`${name}Name`] = info.filename;
            done();
          }),
        ),
      );
    });
    parser.on('partsLimit', tooMany);
    parser.on('fieldsLimit', tooMany);
    parser.on('filesLimit', tooMany);
    parser.on('error', () => reject(new RequestRefused(400, 'VALIDATION_FAILED', 'The form upload could not be read: it is not well-formed multipart data.')));
    parser.on('close', () => {
      void Promise.all(reading).then(() => (refusal ? reject(refusal) : resolve(fields)));
    });
    parser.end(body);
  });
}
