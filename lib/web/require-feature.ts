import type { RequestHandler } from 'express';
import { LicenseError } from '../errors.js';
import type { Snapshot } from '../license/snapshot.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The refusal a person sees in a browser (SPEC 16): a small page, not raw JSON. */
function refusalPage(feature: string, message: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not included in the license</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:48px 20px;color:#1c2430;background:#f5f7fa}main{max-width:560px;margin:0 auto;background:#fff;border:1px solid #dde3ea;border-radius:10px;padding:24px}h1{font-size:1.3rem;margin:0 0 8px}code{font-size:.95em}</style></head>
<body><main><h1>This feature is not included in the license</h1>
<p data-code="FEATURE_NOT_LICENSED">${escapeHtml(message)}</p>
<p>Feature: <code>${escapeHtml(feature)}</code>. An administrator can check the license on the License Manager page.</p></main></body>
</html>
`;
}

/**
 * Express middleware for a host's own routes: next() when the feature is licensed, else 403
 * FEATURE_NOT_LICENSED naming the feature and the state — a small HTML page for a browser
 * (`Accept: text/html`), JSON for API clients. Reads the snapshot only.
 */
export function requireFeature(snapshot: () => Snapshot | undefined, name: string): RequestHandler {
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
      res.type('html').send(refusalPage(name, err.message));
      return;
    }
    res.json({ error: { code: err.code, message: err.message, feature: name, state } });
  };
}
