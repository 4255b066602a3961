import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { viewsDir } from '../../package-root.js';
import { formatDate, formatDateTime, formatNumber, lastValidDay } from '../../web/format.js';

const PORTAL_VIEWS = join(viewsDir, 'portal');
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
  'license-manager.css': { dir: 'assets', type: 'text/css; charset=utf-8' },
  'portal.css': { dir: 'portal', type: 'text/css; charset=utf-8' },
  'portal.js': { dir: 'portal', type: 'text/javascript; charset=utf-8' },
};

/** The portal's CSS and JS (the License Manager page's CSS, plus its own), read once. */
export function readAsset(name: string): { body: Buffer; type: string } | undefined {
  const a = ASSETS[name];
  if (!a) return undefined;
  return { body: readFileSync(join(viewsDir, a.dir, name)), type: a.type };
}
