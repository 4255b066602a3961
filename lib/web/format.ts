/** Display formats of the page: fixed locale and UTC, so every administrator reads the same. */

const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const numberFmt = new Intl.NumberFormat('en-US');

/** "31 Dec 2027" (UTC) from a Date, an ISO string or Unix seconds; "—" when missing or unreadable. */
export function formatDate(value: Date | string | number | null | undefined): string {
  const d = toDate(value);
  return d ? dateFmt.format(d) : '—';
}

/** "31 Dec 2027, 14:05 UTC". */
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
  const d = value instanceof Date ? value : typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The last valid day of a license: `exp` is the midnight that ends it (SPEC 10). */
export function lastValidDay(exp: number): string {
  return formatDate(exp - 1);
}

/** "12 days left", "ends today", "ended 3 days ago". */
export function daysText(days: number | null): string {
  if (days === null) return '';
  if (days > 1) return `${days} days left`;
  if (days === 1) return '1 day left';
  if (days === 0) return 'ends today';
  return `ended ${-days} day${days === -1 ? '' : 's'} ago`;
}
