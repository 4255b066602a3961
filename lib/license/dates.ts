/**
 * One date convention for every place that shows a license's dates (SPEC 16): the page, the
 * emails, the CLI, the support file and `status().details`.
 *
 * - "valid until" is the last day the key is valid: the UTC day of `exp` − 1 s (a key issued with
 *   `--expires 2028-12-31` has `exp` = 2029-01-01T00:00Z and is valid until 31 December 2028);
 * - the grace period reads "commercial features stay on through <its last day>";
 * - days left count to the end of that day, so on the last day itself one day is left.
 */
import { graceDays, graceEnd, type LicensePayload } from '../keys/claims.js';
import { DAY_MS } from '../time.js';

/** `YYYY-MM-DD` (UTC) of the last second a key with this `exp` (Unix seconds) is valid. */
export function lastValidDay(exp: number): string {
  return new Date((exp - 1) * 1000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` (UTC) of the last day of the grace period: commercial features stay on through it. */
export function graceLastDay(payload: Pick<LicensePayload, 'exp' | 'grace'>): string {
  return lastValidDay(graceEnd(payload));
}

/**
 * Whole days from `now` to the end of `day` (UTC), counting a started day: 1 on `day` itself,
 * 0 on the day after, negative after that.
 */
export function daysLeftThrough(day: string, now: Date): number {
  const end = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
  return Math.ceil((end - now.getTime()) / DAY_MS);
}

/**
 * Days left of a key that is valid until `end` (Unix seconds, exclusive: its `exp` or the end of
 * grace): while it runs, every started day until `end` (a 10-day emergency key issued at 10:00 has
 * 10 days left that day, not 11; a key ending at midnight has the same count as
 * daysLeftThrough(its last day)); once it ended, the calendar count through its last day, at most 0.
 */
export function daysLeftUntil(end: number, now: Date): number {
  const ms = end * 1000 - now.getTime();
  if (ms > 0) return Math.ceil(ms / DAY_MS);
  return Math.min(0, daysLeftThrough(lastValidDay(end), now));
}

const longDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });

/** "31 December 2028" from `YYYY-MM-DD`, an ISO date-time, a Date or Unix seconds (read in UTC). */
export function formatDay(value: string | Date | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d =
    value instanceof Date
      ? value
      : typeof value === 'number'
        ? new Date(value * 1000)
        : new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? '—' : longDate.format(d);
}

/** "45 days left", "1 day left (the last day)", "ended yesterday", "ended 3 days ago". */
export function daysLeftText(days: number | null): string {
  if (days === null) return '';
  if (days > 1) return `${days} days left`;
  if (days === 1) return '1 day left (the last day)';
  if (days === 0) return 'ended yesterday';
  return `ended ${1 - days} days ago`;
}

/** The dates of one key by the convention above, for any output. */
export interface KeyDates {
  /** `YYYY-MM-DD`: the key is valid through this day */
  validUntil: string;
  /** days left through `validUntil` */
  daysLeft: number;
  /** `YYYY-MM-DD`: commercial features stay on through this day; equal to validUntil without grace */
  graceUntil: string;
  graceDays: number;
  /** days left through `graceUntil` */
  graceDaysLeft: number;
  /** `YYYY-MM-DD` the key starts (its `nbf`, UTC) */
  validFrom: string;
}

/** `graceEndAt` (Unix seconds): the end of grace as self-service extensions moved it (SPEC 22). */
export function keyDates(payload: Pick<LicensePayload, 'exp' | 'nbf' | 'grace'>, now: Date, graceEndAt?: number | null): KeyDates {
  const validUntil = lastValidDay(payload.exp);
  const graceEndsAt = graceEndAt != null && graceEndAt > graceEnd(payload) ? graceEndAt : graceEnd(payload);
  const graceUntil = lastValidDay(graceEndsAt);
  return {
    validUntil,
    daysLeft: daysLeftUntil(payload.exp, now),
    graceUntil,
    graceDays: graceDays(payload),
    graceDaysLeft: daysLeftUntil(graceEndsAt, now),
    validFrom: new Date(payload.nbf * 1000).toISOString().slice(0, 10),
  };
}

/** "commercial features stay on through 14 January 2029, 12 days" (the grace sentence). */
export function graceSentence(dates: Pick<KeyDates, 'graceUntil' | 'graceDaysLeft'>): string {
  const n = Math.max(0, dates.graceDaysLeft);
  return `commercial features stay on through ${formatDay(dates.graceUntil)}, ${n} day${n === 1 ? '' : 's'}`;
}
