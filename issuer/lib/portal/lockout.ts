/**
 * The lockout rule (SPEC 19), pure: 10 failed sign-ins lock the name for 15 minutes, judged
 * against the injected clock. A success, or the end of a lock, starts the count again.
 */
export const MAX_FAILED_LOGINS = 10;
export const LOCK_MS = 15 * 60_000;

export interface LoginCounters {
  failedLogins: number;
  lockedUntil: Date | null;
}

export function isLocked(c: LoginCounters, now: Date): boolean {
  return c.lockedUntil !== null && now.getTime() < c.lockedUntil.getTime();
}

/** The counters after one more failure at `now`. */
export function afterFailure(c: LoginCounters, now: Date): LoginCounters {
  const lockOver = c.lockedUntil !== null && now.getTime() >= c.lockedUntil.getTime();
  const failed = (lockOver ? 0 : c.failedLogins) + 1;
  if (failed >= MAX_FAILED_LOGINS) return { failedLogins: 0, lockedUntil: new Date(now.getTime() + LOCK_MS) };
  return { failedLogins: failed, lockedUntil: lockOver ? null : c.lockedUntil };
}
