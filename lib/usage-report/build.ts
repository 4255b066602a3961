import { createHash } from 'node:crypto';
import { LicenseError } from '../errors.js';

/** One day of the job's snapshot, with the limits in force that day (null = unlimited). */
export interface DaySnapshot {
  day: string;
  loc: number;
  users: number;
  limitLoc: number | null;
  limitUsers: number | null;
}

export interface MonthlyPeak {
  month: string;
  peakLoc: number;
  peakUsers: number;
  limitLoc: number | null;
  limitUsers: number | null;
}

/** One use of a self-service extension (SPEC 22), as every later usage report lists it. */
export interface ReportedExtension {
  lid: string;
  serverId: string;
  /** 1, 2 or 3: which use of the key's `ext` claim */
  use: number;
  days: number;
  /** when it was used, and the end of grace it gave (ISO) */
  at: string;
  until: string;
  /** who used it (a name, never an address) */
  actor: string;
}

/** The signed payload of a usage report (SPEC 18.1); `generatedAt` in Unix seconds. */
export interface UsageReportPayload {
  v: 1;
  serverId: string;
  lid: string | null;
  sub: string | null;
  licensee: string | null;
  period: { from: string; to: string };
  generatedAt: number;
  seq: number;
  prev: string | null;
  monthly: MonthlyPeak[];
  daily: { day: string; loc: number; users: number }[];
  /**
   * The audit log's chain head when the report was made (SPEC 21): `entries` and the last `hash`,
   * kept by the vendor, so `audit verify --head entries:hash` later shows the log was not cut
   * short. `broken` when the instance's own head row did not hold (the log's last entry is given).
   */
  audit?: { entries: number; hash: string; broken?: true };
  /** the `clock-reset`s since the previous report (SPEC 21), so the vendor sees them: times in Unix seconds */
  clockResets?: { at: number; actor: string; from: number | null }[];
  /** SPEC 22: every self-service extension used on this instance so far; absent when none (and before 0.2.0) */
  extensions?: ReportedExtension[];
}

export const USAGE_REPORT_TYP = 'usage-report+jws';
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MAX_MONTHS = 36;

export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** The months from `from` to `to`, inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  for (let month = from; month <= to; ) {
    out.push(month);
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
    month = `${y}-${String(m).padStart(2, '0')}`;
  }
  return out;
}

/** A period asked for (`?from=YYYY-MM&to=YYYY-MM`), checked; VALIDATION_FAILED names the field. */
export function checkPeriod(from: string, to: string): { from: string; to: string } {
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!MONTH.test(value))
      throw new LicenseError('VALIDATION_FAILED', { detail: `"${field}" must be a month written YYYY-MM, not "${value}".`, data: { field } });
  }
  if (from > to) throw new LicenseError('VALIDATION_FAILED', { detail: `The period starts (${from}) after it ends (${to}).`, data: { field: 'from' } });
  if (monthsBetween(from, to).length > MAX_MONTHS) {
    throw new LicenseError('VALIDATION_FAILED', { detail: `A usage report covers at most ${MAX_MONTHS} months.`, data: { field: 'from' } });
  }
  return { from, to };
}

const maxLimit = (values: (number | null)[]): number | null => {
  const set = values.filter((v): v is number => v !== null);
  return set.length ? Math.max(...set) : null;
};

/**
 * Each month's peaks against the limits in force that month. Pure. When the license changed
 * during the month, the highest limit in force that month counts: the customer paid for it.
 */
export function monthlyPeaks(days: readonly DaySnapshot[], months: readonly string[]): MonthlyPeak[] {
  return months.map((month) => {
    const inMonth = days.filter((d) => d.day.startsWith(month));
    return {
      month,
      peakLoc: Math.max(0, ...inMonth.map((d) => d.loc)),
      peakUsers: Math.max(0, ...inMonth.map((d) => d.users)),
      limitLoc: maxLimit(inMonth.map((d) => d.limitLoc)),
      limitUsers: maxLimit(inMonth.map((d) => d.limitUsers)),
    };
  });
}

/** The payload of a report. Pure. */
export function buildUsageReport(input: {
  serverId: string;
  license: { lid: string; sub: string; licensee: string } | null;
  period: { from: string; to: string };
  generatedAt: Date;
  seq: number;
  prev: string | null;
  days: readonly DaySnapshot[];
  audit?: { entries: number; hash: string; broken?: true };
  clockResets?: readonly { at: number; actor: string; from: number | null }[];
  extensions?: readonly ReportedExtension[];
}): UsageReportPayload {
  const { period } = input;
  const days = input.days.filter((d) => d.day.slice(0, 7) >= period.from && d.day.slice(0, 7) <= period.to);
  return {
    v: 1,
    serverId: input.serverId,
    lid: input.license?.lid ?? null,
    sub: input.license?.sub ?? null,
    licensee: input.license?.licensee ?? null,
    period,
    generatedAt: Math.floor(input.generatedAt.getTime() / 1000),
    seq: input.seq,
    prev: input.prev,
    monthly: monthlyPeaks(days, monthsBetween(period.from, period.to)),
    daily: days.map((d) => ({ day: d.day, loc: d.loc, users: d.users })),
    ...(input.audit ? { audit: input.audit } : {}),
    ...(input.clockResets ? { clockResets: [...input.clockResets] } : {}),
    // NOTE: only when there are some: a report of an instance that never extended has no such field
    ...(input.extensions?.length ? { extensions: [...input.extensions] } : {}),
  };
}

/** The chain link: hex SHA-256 of the report's compact text. */
export function reportHash(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex');
}
