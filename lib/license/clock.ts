import type { Warning } from './types.js';

export const CLOCK_TOLERANCE_MS = 86_400_000;

/**
 * SPEC 5.4: when the clock is more than a day behind the latest time seen, expiry is judged
 * against that latest time, and a warning says so. Pure.
 */
export function effectiveNow(now: Date, highWater: number | undefined): { now: Date; warning?: Warning } {
  if (highWater === undefined || now.getTime() >= highWater - CLOCK_TOLERANCE_MS) return { now };
  return {
    now: new Date(highWater),
    warning: {
      code: 'CLOCK_BACKWARDS',
      message: `The system clock (${now.toISOString()}) is behind the latest time this instance has seen (${new Date(highWater).toISOString()}); expiry is judged against the latest time.`,
    },
  };
}
