import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { packageRoot, viewsDir } from 'license-manager/shared';
import { formatDate, formatDateTime, formatNumber, lastValidDay } from 'license-manager/shared';

const ISSUER_VIEWS = join(packageRoot(import.meta.url), 'views');
const PORTAL_VIEWS = join(ISSUER_VIEWS, 'portal');
const compiled = new Map<string, ejs.TemplateFunction>();

/** Helpers every portal view gets; `<%=` escapes every value. */
export const viewHelpers = { formatDate, formatDateTime, formatNumber, lastValidDay };

/** Renders `views/portal/<name>.ejs`; compiled once. */
export function renderView(name: string, locals: Record<string, unknown>): string {
  let fn = compiled.get(name);
  if (!fn) {
    const file = join(PORTAL_VIEWS, `${name}.ejs`);
    fn = ejs.compile(readFileSync(file, 'utf8'), { filename: file, cache: true, async: false });
    compiled.set(name, fn);
  }
  return fn({ ...viewHelpers, ...locals });
}

const ASSETS: Record<string, { dir: string; type: string }> = {
  // NOTE: the portal wears the License Manager page's stylesheet, read from the embed it depends on.
  'license-manager.css': { dir: join(viewsDir, 'assets'), type: 'text/css; charset=utf-8' },
  'portal.css': { dir: PORTAL_VIEWS, type: 'text/css; charset=utf-8' },
  'portal.js': { dir: PORTAL_VIEWS, type: 'text/javascript; charset=utf-8' },
};

/** The portal's CSS and JS (the License Manager page's CSS, plus its own), read once. */
export function readAsset(name: string): { body: Buffer; type: string } | undefined {
  const a = ASSETS[name];
  if (!a) return undefined;
  return { body: readFileSync(join(a.dir, name)), type: a.type };
}
