import { Router } from 'express';
import { LicenseError } from '../errors.js';
import type { Logger } from '../host.js';
import type { WebPort } from './port.js';
import { jsonBody } from './body.js';
import { keyFrom, lidFrom, limitFrom, percentFrom, useFrom } from './validate.js';
import { supportInfo } from './support-info.js';
import { writeUsageCsv } from './csv.js';
import { cursorFrom, encodeCursor, readId, readProjectKey } from './cursor.js';
import { pageOf, trimPage } from './paging.js';
import { auditHandler } from './operations-routes.js';
import { applyKey } from './apply-key.js';

/** Safe file-name part: a server ID is already safe, this only guards the header. */
const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '_');

/**
 * The JSON API of SPEC 8, mounted under `api/`. Handlers only parse, call the port and send;
 * errors go to the router's one error middleware.
 */
export function apiRoutes(port: WebPort, now: () => Date, logger: Logger): Router {
  const api = Router();

  // GET /status is served before this router (router.ts), on the hot path.

  api.get('/server-id', (_req, res) => {
    res.json({ serverId: port.status().serverId });
  });

  // SPEC 16: set directly, answering what changed against the license that was current
  api.post('/license', ...jsonBody, async (req, res) => {
    const { status, changes } = await applyKey(port, keyFrom(req.body), port.actorOf(req));
    res.json({ status, changes });
  });

  api.post('/license/preview', ...jsonBody, async (req, res) => {
    const { license, state, changes } = await port.previewLicense(keyFrom(req.body));
    res.json({ license, state, changes });
  });

  api.post('/license/activate', ...jsonBody, async (req, res) => {
    res.json({ status: await port.activateKey(lidFrom(req.body), { actor: port.actorOf(req) }) });
  });

  api.post('/license/retire', ...jsonBody, async (req, res) => {
    res.json({ status: await port.retireKey(lidFrom(req.body), { actor: port.actorOf(req) }) });
  });

  // SPEC 22: one use of the self-service extension; `{ "use": n }` optional (the use confirmed)
  api.post('/license/extend', ...jsonBody, async (req, res) => {
    const { status, extension, agreed } = await port.extend({ actor: port.actorOf(req), use: useFrom(req.body) });
    res.json({ status, extension, agreed });
  });

  // the text of one stored key, as a file (the page's Download and Copy)
  api.get('/keys/:lid/key', async (req, res) => {
    const lid = lidFrom(req.params);
    const text = await port.keyText(lid);
    res.attachment(`license-${fileSafe(lid)}.key`);
    res.type('text/plain; charset=utf-8').send(`${text}\n`);
  });

  api.put('/loc-threshold', ...jsonBody, async (req, res) => {
    const percent = percentFrom(req.body, false);
    res.json(await port.setLocThreshold(percent, { actor: port.actorOf(req) }));
  });

  // Lists are paged (SPEC 15.5): `?limit=` and the opaque `?cursor=` of the previous page's
  // `nextCursor`, which is null on the last page.
  api.get('/notifications', async (req, res) => {
    const limit = limitFrom(req.query);
    const before = cursorFrom(req.query, 'cursor', readId);
    const page = trimPage(await port.jobs.notifications(limit + 1, before), limit);
    res.json({ notifications: page.items, nextCursor: page.next === null ? null : encodeCursor([page.next]) });
  });

  api.get('/keys', async (req, res) => {
    const limit = limitFrom(req.query);
    const page = pageOf(await port.keyHistory(), limit, cursorFrom(req.query, 'cursor', readId));
    res.json({ keys: page.items, nextCursor: page.next === null ? null : encodeCursor([page.next]) });
  });

  api.post('/test-email', ...jsonBody, async (req, res) => {
    res.json(await port.jobs.sendTestEmail(port.actorOf(req)));
  });

  api.get('/audit', auditHandler(port));

  api.get('/support-info', async (_req, res) => {
    const info = await supportInfo(port, now());
    res.attachment(`license-support-${fileSafe(String(info.serverId))}.json`);
    res.type('application/json').send(`${JSON.stringify(info, null, 2)}\n`);
  });

  api.get('/loc-usage', async (req, res) => {
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') {
      throw new LicenseError('VALIDATION_FAILED', { detail: 'format must be json or csv.', data: { field: 'format' } });
    }
    if (format === 'csv') {
      await writeUsageCsv(res, port.locUsageChunks(), {
        begin: () => res.attachment(`loc-usage-${fileSafe(port.status().serverId)}.csv`).type('text/csv; charset=utf-8'),
        failed: (err) => logger.error('license-manager: the usage CSV export stopped', { error: err instanceof Error ? err.message : String(err) }),
      });
      return;
    }
    const limit = limitFrom(req.query, 50, 1000);
    const page = await port.locUsage({ limit, after: cursorFrom(req.query, 'cursor', readProjectKey) });
    res.json({
      loc: port.status().loc,
      total: page.total,
      projects: page.projects,
      nextCursor: page.next && encodeCursor([page.next.loc, page.next.project]),
    });
  });

  return api;
}
