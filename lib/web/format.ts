/** Display formats of the page: fixed locale and UTC, so every administrator reads the same. */
import { lastValidDay as lastDayOf } from '../license/dates.js';

const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
const shortDayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const numberFmt = new Intl.NumberFormat('en-US');

/** "31 December 2027" (UTC) from a Date, an ISO string or Unix seconds; "—" when missing or unreadable. */
export function formatDate(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  return d ? dateFmt.format(d) : '—';
}

/** "23 Aug" (UTC): the chart's axis. */
export function formatShortDay(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  return d ? shortDayFmt.format(d) : '—';
}

/** "31 December 2027, 14:05 UTC". */
export function formatDateTime(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  return d ? `${dateTimeFmt.format(d)} UTC` : '—';
}

/** "1,234,567". */
export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : numberFmt.format(n);
}

/** "1.2M", "45k", "980": axis labels. */
export function formatCompact(n: number): string {
  if (n >= 1_000_000) return `${trim(n / 1_000_000)}M`;
  if (n >= 1_000) return `${trim(n / 1_000)}k`;
  return String(Math.round(n));
}

const trim = (n: number) => (n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d =
    value instanceof Date
      ? value
      : typeof value === 'number'
        ? new Date(value * 1000)
        : new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The last valid day of a license, formatted (SPEC 16: `exp` − 1 s, UTC). */
export function lastValidDay(exp: number): string {
  return formatDate(lastDayOf(exp));
}

export { daysLeftText as daysText } from '../license/dates.js';
