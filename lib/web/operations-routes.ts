import type { RequestHandler } from 'express';
import type { MetricsEndpoint } from '../metrics/index.js';
import type { WebPort } from './port.js';
import { limitFrom } from './validate.js';

/** `GET metrics` (SPEC 17.1): the snapshot in the Prometheus text format; no query. */
export function metricsHandler(metrics: MetricsEndpoint): RequestHandler {
  return async (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type(metrics.contentType)
      .send(await metrics.text());
  };
}

/** `GET api/audit[?limit=]` (SPEC 17.3): the latest entries, newest first. */
export function auditHandler(port: Pick<WebPort, 'audit'>): RequestHandler {
  return async (req, res) => {
    res.json({ entries: await port.audit(limitFrom(req.query)) });
  };
}
