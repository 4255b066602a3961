/** The one day of the module: Unix seconds and milliseconds. */
export const DAY_SECONDS = 86_400;
export const DAY_MS = DAY_SECONDS * 1000;

/** Whole days from `now` until `exp` (Unix seconds), rounded up; negative once it has passed. */
export function daysUntil(exp: number, now: Date): number {
  return Math.ceil((exp * 1000 - now.getTime()) / DAY_MS);
}
