import { LicenseError } from '../errors.js';
import type { LicenseStatus, Warning } from '../license/types.js';

export interface LimitDecision {
  allowed: true;
  /** consumption (or users) after the change */
  after: number;
  limit: number | null;
  /** set when the true-up tag lets it go over the limit */
  warning?: Warning;
}

/**
 * Hard cap unless the license has the true-up tag (soft cap: allowed, with a warning). Pure.
 * Limits are in force only while the license is usable; otherwise there is nothing to enforce.
 */
export function decideLimit(kind: 'loc' | 'users', after: number, status: LicenseStatus, usable: boolean, before?: number): LimitDecision {
  const limit = usable ? (status.license?.limits[kind] ?? null) : null;
  // NOTE: a change that adds nothing is always allowed, so an instance over its limit can get back under it.
  if (limit === null || after <= limit || (before !== undefined && after <= before)) return { allowed: true, after, limit };
  const what = kind === 'loc' ? 'lines of code' : 'users';
  if (status.loc.softCap) {
    return {
      allowed: true,
      after,
      limit,
      warning: {
        code: kind === 'loc' ? 'LOC_OVER_LIMIT_SOFT' : 'USERS_OVER_LIMIT_SOFT',
        message: `This takes the ${what} to ${after}, over the licensed limit of ${limit}; the true-up terms allow it.`,
      },
    };
  }
  throw new LicenseError(kind === 'loc' ? 'LOC_LIMIT_EXCEEDED' : 'USER_LIMIT_EXCEEDED', {
    detail: `This would take the ${what} to ${after}, over the licensed limit of ${limit}.`,
    data: { after, limit },
  });
}
