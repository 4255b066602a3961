import { Router } from 'express';
import { consoleLogger } from '../host.js';
import type { WebPort } from './port.js';
import { apiRoutes } from './api.js';
import { assetRoutes } from './assets.js';
import { createCsrf } from './csrf.js';
import { errorHandler } from './error-handler.js';
import { authorizeFirst, baseHeaders } from './guard.js';
import { pageRoutes } from './page.js';
import { offlineApiRoutes } from './offline.js';
import { renderRefusal } from './render.js';
import { statusHandler } from './status-route.js';
import { metricsHandler } from './operations-routes.js';

/**
 * The License Manager page, its assets and the JSON API of SPEC 8, as one Express router for the
 * host to mount. Every request first goes through the host's `authorize(req)`.
 * @example
 * app.use('/admin/license', createRouter(port)); // what lm.router() returns
 */
export function createRouter(port: WebPort): Router {
  if (!port || typeof port.authorize !== 'function') {
    throw new TypeError('authorize must be a function (req) => boolean | Promise<boolean>: the License Manager page is never served without it.');
  }
  const logger = port.logger ?? consoleLogger;
  const now = port.now ?? (() => new Date());
  const router = Router();
  const authorize = authorizeFirst(port.authorize);
  // NOTE: the hot path first, so it crosses as few layers as possible (SPEC 13 benchmark).
  router.get(
    '/api/status',
    baseHeaders,
    authorize,
    statusHandler(() => port.status()),
  );
  router.use(baseHeaders, authorize);
  router.get('/metrics', metricsHandler(port.metrics));
  router.use('/api', apiRoutes(port, now, logger));
  if (port.offline) router.use('/api', offlineApiRoutes(port.offline, port.actorOf));
  router.use('/assets', assetRoutes());
  router.use(
    pageRoutes(
      port,
      createCsrf(() => port.csrfSecret()),
      logger,
    ),
  );
  router.use(errorHandler(logger, renderRefusal));
  return router;
}
