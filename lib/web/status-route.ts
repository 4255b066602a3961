import type { Request, Response } from 'express';
import type { LicenseStatus } from '../license/types.js';

/**
 * GET api/status, the hot path (SPEC 13): status() is an in-memory snapshot that the manager
 * replaces, never mutates, on each refresh, so its JSON is made once per snapshot. Sent with
 * `res.end` rather than `res.json`: no ETag hashing (the answer is `no-store` anyway).
 */
export function statusHandler(status: () => LicenseStatus): (req: Request, res: Response) => void {
  let last: LicenseStatus | undefined;
  let body = '';
  let length = 0;
  return (_req, res) => {
    const current = status();
    if (current !== last) {
      body = JSON.stringify(current);
      length = Buffer.byteLength(body);
      last = current;
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', length);
    res.end(body);
  };
}
