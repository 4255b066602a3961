import type { LicenseState, LicenseStatus } from '../license/types.js';
import type { Tone } from './banners.js';

export interface Badge {
  label: string;
  tone: Tone;
}

export const STATE_LABELS: Record<LicenseState, Badge> = {
  none: { label: 'No license', tone: 'info' },
  invalid: { label: 'Invalid', tone: 'danger' },
  wrong_server: { label: 'Issued for another server', tone: 'danger' },
  not_yet_valid: { label: 'Not valid yet', tone: 'warning' },
  active: { label: 'Active', tone: 'success' },
  expiring: { label: 'Expiring soon', tone: 'warning' },
  grace: { label: 'In grace period', tone: 'danger' },
  expired: { label: 'Expired', tone: 'danger' },
  revoked: { label: 'Revoked', tone: 'danger' },
};

/** SPEC 22: a license near its end whose next license starts in time is not "expiring soon". */
const RENEWED: Badge = { label: 'Active (renewed)', tone: 'success' };

/** The label of the license state, as the page shows it. */
export function stateBadge(s: LicenseStatus): Badge {
  return s.state === 'expiring' && s.next?.covered ? RENEWED : STATE_LABELS[s.state];
}

const RANK: Record<Tone, number> = { danger: 4, warning: 3, info: 2, staging: 1, success: 0 };

/** The users figures of `status().users` (SPEC 16). */
export function usersOf(s: LicenseStatus): { used: number; limit: number | null } | undefined {
  return s.users;
}

/** The state of the limits alone: reached, over (true-up), over the threshold, or fine (null). */
function limitBadge(s: LicenseStatus): Badge | null {
  const { used, limit, percent, threshold, softCap } = s.loc;
  const users = usersOf(s);
  const usersOver = users && users.limit !== null && users.limit !== undefined && users.used > users.limit;
  if (limit !== null && used >= limit && !softCap && used > 0) return { label: 'Lines of code limit reached', tone: 'danger' };
  if (usersOver && !softCap) return { label: 'User limit exceeded', tone: 'danger' };
  if ((limit !== null && used > limit) || usersOver) return { label: 'Over the limit (true-up)', tone: 'warning' };
  if (percent !== null && percent >= threshold) return { label: 'Above the threshold', tone: 'warning' };
  return null;
}

/**
 * The header's badge: the worse of the license state and the limit state (a license that is
 * active but whose lines of code are at the limit does not read "Active"), the license first on
 * a tie.
 */
export function headerBadge(s: LicenseStatus): Badge {
  const license = stateBadge(s);
  const limits = limitBadge(s);
  return limits && RANK[limits.tone] > RANK[license.tone] ? limits : license;
}
