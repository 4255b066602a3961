import type { RequestHandler } from 'express';
import { LicenseError } from '../errors.js';
import type { Snapshot } from '../license/snapshot.js';

/**
 * Express middleware for a host's own routes: next() when the feature is licensed, else 403
 * FEATURE_NOT_LICENSED naming the feature and the state. Reads the snapshot only.
 */
export function requireFeature(snapshot: () => Snapshot | undefined, name: string): RequestHandler {
  return (_req, res, next) => {
    const snap = snapshot();
    if (snap?.features.has(name)) return next();
    const state = snap?.status.state ?? 'none';
    const err = new LicenseError('FEATURE_NOT_LICENSED', {
      detail: `The feature "${name}" is not available: the license state is ${state}${snap?.usable ? ' and the license does not include it' : ''}.`,
    });
    res.status(err.status).json({ error: { code: err.code, message: err.message, feature: name, state } });
  };
}
