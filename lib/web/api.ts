import { Router } from 'express';
import { LicenseError } from '../errors.js';
import type { WebPort } from './port.js';
import { jsonBody } from './body.js';
import { keyFrom, limitFrom, percentFrom } from './validate.js';
import { supportInfo } from './support-info.js';
import { usageCsv } from './csv.js';

/** Safe file-name part: a server ID is already safe, this only guards the header. */
const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '_');

/**
 * The JSON API of SPEC 8, mounted under `api/`. Handlers only parse, call the port and send;
 * errors go to the router's one error middleware.
 */
export function apiRoutes(port: WebPort, now: () => Date): Router {
  const api = Router();

  // GET /status is served before this router (router.ts), on the hot path.

  api.get('/server-id', (_req, res) => {
    res.json({ serverId: port.status().serverId });
  });

  api.post('/license', ...jsonBody, async (req, res) => {
    const key = keyFrom(req.body);
    res.json(await port.setLicense(key, { actor: port.actorOf(req) }));
  });

  api.put('/loc-threshold', ...jsonBody, async (req, res) => {
    const percent = percentFrom(req.body, false);
    res.json(await port.setLocThreshold(percent, { actor: port.actorOf(req) }));
  });

  api.get('/notifications', async (req, res) => {
    res.json({ notifications: await port.jobs.notifications(limitFrom(req.query)) });
  });

  api.post('/test-email', ...jsonBody, async (req, res) => {
    res.json(await port.jobs.sendTestEmail(port.actorOf(req)));
  });

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
    const projects = await port.locUsage();
    if (format === 'csv') {
      res.attachment(`loc-usage-${fileSafe(port.status().serverId)}.csv`);
      res.type('text/csv; charset=utf-8').send(usageCsv(projects));
      return;
    }
    res.json({ loc: port.status().loc, projects });
  });

  return api;
}
