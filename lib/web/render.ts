import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { viewsDir } from '../package-root.js';
import type { PageModel } from './page-model.js';
import type { Refusal } from './error-handler.js';

const PAGE = join(viewsDir, 'license-manager.ejs');
const REFUSAL = join(viewsDir, 'partials', 'refusal.ejs');

const compiled = new Map<string, ejs.TemplateFunction>();
/** Compiles a template once; `cache` also keeps its includes. `<%=` escapes every value. */
function template(file: string): ejs.TemplateFunction {
  let fn = compiled.get(file);
  if (!fn) {
    fn = ejs.compile(readFileSync(file, 'utf8'), { filename: file, cache: true, async: false });
    compiled.set(file, fn);
  }
  return fn;
}

// NOTE: the audit-trail section (SPEC 17.3) is its own partial; the page has its place ready.
const hasAudit = existsSync(join(viewsDir, 'partials', 'audit.ejs'));

/** The License Manager page as HTML. */
export function renderPage(model: PageModel): string {
  return template(PAGE)({ hasAudit, ...model });
}

const TITLES: Record<number, string> = { 400: 'Request not valid', 403: 'Not allowed', 413: 'Request too large', 415: 'Request not valid' };

/** A whole page for a refused or failed request outside the JSON API. */
export function renderRefusal(refusal: Refusal, base: string): string {
  const title = TITLES[refusal.status] ?? (refusal.status >= 500 ? 'Something went wrong' : 'Request refused');
  // A refused authorization must not link the assets: they are behind authorize too.
  const withAssets = refusal.code !== 'FORBIDDEN';
  return template(REFUSAL)({ title, code: refusal.code, message: refusal.message, base, withAssets });
}
