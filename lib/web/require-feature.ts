import type { RequestHandler } from 'express';
import { LicenseError } from '../errors.js';
import type { Snapshot } from '../license/snapshot.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Why a feature is off, in words an end user reads (issue 23.7), by license state. */
const WHY: Record<string, string> = {
  none: 'no license is installed yet',
  invalid: 'the installed license is not valid',
  wrong_server: 'the installed license was issued for another server',
  not_yet_valid: 'the installed license has not started yet',
  expired: 'the license has expired',
  revoked: 'the license was revoked',
};

/** The refusal a person sees in a browser (SPEC 16): a small page in words, with the way to the License Manager page. */
function refusalPage(feature: string, state: string, usable: boolean, pageUrl: string | undefined): string {
  const why = usable ? 'the license does not include it' : (WHY[state] ?? 'the license does not allow it right now');
  const where = pageUrl
    ? `An administrator can check the license on the <a href="${escapeHtml(pageUrl)}">License Manager page</a>.`
    : 'An administrator can check the license on the License Manager page.';
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not included in the license</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:48px 20px;color:#1c2430;background:#f5f7fa}main{max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde3ea;border-radius:10px;padding:24px}h1{font-size:1.3rem;margin:0 0 8px}code{font-size:.95em}a{color:#1f5fbf}</style></head>
<body><main><h1>This feature is not available</h1>
<p data-code="FEATURE_NOT_LICENSED">This part of the product (<code>${escapeHtml(feature)}</code>) is off because ${escapeHtml(why)}.</p>
<p>${where}</p></main></body>
</html>
`;
}

/**
 * Express middleware for a host's own routes: next() when the feature is licensed, else 403
 * FEATURE_NOT_LICENSED naming the feature and the state — a small HTML page for a browser
 * (`Accept: text/html`), JSON for API clients. Reads the snapshot only.
 */
export function requireFeature(snapshot: () => Snapshot | undefined, name: string, pageUrl?: string): RequestHandler {
  return (req, res, next) => {
    const snap = snapshot();
    if (snap?.features.has(name)) return next();
    const state = snap?.status.state ?? 'none';
    const err = new LicenseError('FEATURE_NOT_LICENSED', {
      detail: `The feature "${name}" is not available: the license state is ${state}${snap?.usable ? ' and the license does not include it' : ''}.`,
    });
    res.status(err.status).vary('Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') {
      res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
      res.type('html').send(refusalPage(name, state, snap?.usable === true, pageUrl));
      return;
    }
    res.json({ error: { code: err.code, message: err.message, feature: name, state } });
  };
}
