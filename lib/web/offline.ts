import { Router, type Request, type Response } from 'express';
import { LicenseError } from '../errors.js';
import type { LicenseStatus } from '../license/types.js';
import { jsonBody, largeJsonBody } from './body.js';
import { MAX_REVOCATIONS_BYTES } from '../revocations/verify.js';

/** What the offline trade (SPEC 18) needs from the manager. */
export interface OfflinePort {
  /** the instance key ID (thumbprint of the instance's public key) */
  instanceKeyId(): string;
  usageReport(period: { from?: string; to?: string }): Promise<{ text: string; fileName: string }>;
  setRevocations(list: string, options: { actor: string }): Promise<LicenseStatus>;
  /** SPEC 22: the move request after the server ID changed (a download) */
  moveRequest?(options: { reason?: string; actor: string }): Promise<{ text: string; fileName: string }>;
  /** the revocation list in force, or null */
  revocations(): Promise<RevocationsInForce | null>;
}

/** What the page says of the revocation list in force. */
export interface RevocationsInForce {
  number: number;
  /** when the vendor made it (ISO) */
  issuedAt: string;
  revoked: number;
  setBy: string;
  setAt: string;
}

function month(query: Request['query'], field: 'from' | 'to'): string | undefined {
  const v = query[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new LicenseError('VALIDATION_FAILED', { detail: `"${field}" must be one month written YYYY-MM.`, data: { field } });
  return v;
}

/** The reason of a move request (JSON body or page form); absent or blank: the recorded one. */
export function reasonFrom(body: unknown): string | undefined {
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  if (reason === undefined || (typeof reason === 'string' && reason.trim() === '')) return undefined;
  if (typeof reason !== 'string') throw new LicenseError('VALIDATION_FAILED', { detail: '"reason" must be text.', data: { field: 'reason' } });
  return reason;
}

/** The move request as a download. */
export function sendMoveRequest(res: Response, request: { text: string; fileName: string }): void {
  res.attachment(request.fileName);
  res.type('application/jose').send(`${request.text}\n`);
}

/** The list text of a JSON body or a page form. */
export function listFrom(body: unknown): string {
  const list = (body as { list?: unknown } | undefined)?.list;
  if (typeof list !== 'string' || list.trim().length === 0) {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'Paste the revocation list (the text of the .jws file the vendor sent).', data: { field: 'list' } });
  }
  return list;
}

/** `GET api/usage-report` (a download) and `POST api/revocations` `{ "list": "…" }`. */
export function offlineApiRoutes(port: OfflinePort, actorOf: (req: Request) => string): Router {
  const api = Router();
  api.get('/usage-report', async (req, res) => {
    const report = await port.usageReport({ from: month(req.query, 'from'), to: month(req.query, 'to') });
    res.attachment(report.fileName);
    res.type('application/jose').send(`${report.text}\n`);
  });
  // SPEC 22: a POST (it is audited), answered with the file to send to the vendor
  api.post('/move-request', ...jsonBody, async (req, res) => {
    if (!port.moveRequest) throw new LicenseError('VALIDATION_FAILED', { detail: 'Move requests are not available here.' });
    sendMoveRequest(res, await port.moveRequest({ reason: reasonFrom(req.body), actor: actorOf(req) }));
  });
  api.post('/revocations', ...largeJsonBody(MAX_REVOCATIONS_BYTES + 1024), async (req, res) => {
    res.json(await port.setRevocations(listFrom(req.body), { actor: actorOf(req) }));
  });
  return api;
}
