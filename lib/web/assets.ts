import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { viewsDir } from '../package-root.js';

const FILES: Record<string, string> = {
  'license-manager.css': 'text/css; charset=utf-8',
  'license-manager.js': 'text/javascript; charset=utf-8',
};

/**
 * The page's own CSS and JS, served by the router (behind authorize like everything else),
 * so that the page needs nothing from the internet. Read once, kept in memory.
 */
export function assetRoutes(): Router {
  const assets = Router();
  const cache = new Map<string, Buffer>();
  for (const [name, type] of Object.entries(FILES)) {
    assets.get(`/${name}`, (_req, res) => {
      let body = cache.get(name);
      if (!body) {
        body = readFileSync(join(viewsDir, 'assets', name));
        cache.set(name, body);
      }
      res.type(type).send(body);
    });
  }
  return assets;
}
