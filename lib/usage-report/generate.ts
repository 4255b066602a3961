import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import type { LicensePayload } from '../keys/claims.js';
import { signDocument } from '../keys/document.js';
import type { InstanceKey } from '../instance-key/derive.js';
import type { Dialect } from '../store/dialects/index.js';
import { readAuditHead } from '../audit/index.js';
import {
  buildUsageReport,
  checkPeriod,
  monthOf,
  reportHash,
  USAGE_REPORT_TYP,
  type DaySnapshot,
  type ReportedExtension,
  type UsageReportPayload,
} from './build.js';
import { readExtensions } from '../license/extension-store.js';
import { createSnapshotStore } from '../usage/snapshots.js';

export interface UsageReport {
  /** the compact JWS to hand to the vendor */
  text: string;
  payload: UsageReportPayload;
  /** suggested file name */
  fileName: string;
}

export interface UsageReportDeps {
  knex: Knex;
  dialect: Dialect;
  serverId: string;
  instanceKey: InstanceKey;
  /** the current license payload, or null */
  license: LicensePayload | null;
  now: Date;
}

const num = (v: unknown): number => Number(v ?? 0);
const DEFAULT_BACK_MONTHS = 12;

/**
 * The default period: up to this month, from the last month of the previous report (a month
 * reported while it was running is reported again, whole), or from the first snapshot.
 */
async function defaultPeriod(knex: Knex, now: Date, last: { period_to: string } | undefined): Promise<{ from: string; to: string }> {
  const to = monthOf(now);
  // biome-ignore lint/complexity/useMathMinMax: months are YYYY-MM strings, which Math.min would turn into NaN
  if (last) return { from: last.period_to <= to ? last.period_to : to, to };
  const earliest = (await createSnapshotStore(knex).firstDay())?.slice(0, 7);
  const floor = monthsBack(to, DEFAULT_BACK_MONTHS - 1);
  // biome-ignore lint/complexity/useMathMinMax: months are YYYY-MM strings, which Math.min would turn into NaN
  const from = earliest && earliest <= to ? (earliest > floor ? earliest : floor) : to;
  return { from, to };
}

function monthsBack(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const total = y * 12 + (m - 1) - n;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

/**
 * Generates the next usage report: numbered one above the last (`seq`), chained to it by the
 * SHA-256 of its text (`prev`), signed by the instance key whose public half it carries. Two
 * nodes generating at once cannot take the same number (the primary key); the loser retries.
 */
export async function generateUsageReport(deps: UsageReportDeps, asked: { from?: string; to?: string } = {}): Promise<UsageReport> {
  const { knex, now } = deps;
  for (let attempt = 0; attempt < 10; attempt++) {
    const last: LastReport | undefined = await knex('license_usage_reports')
      .orderBy('seq', 'desc')
      .first('seq', 'hash', 'period_from', 'period_to', 'generated_at');
    const fallback = await defaultPeriod(knex, now, last);
    const period = checkPeriod(asked.from ?? (asked.to && asked.to < fallback.from ? asked.to : fallback.from), asked.to ?? fallback.to);
    if (period.to > monthOf(now)) {
      // a signed report would otherwise claim zero usage for months that have not happened
      throw new LicenseError('VALIDATION_FAILED', {
        detail: `The period ends after this month (${monthOf(now)}): a usage report covers months that have begun.`,
        data: { field: 'to' },
      });
    }
    const days = await createSnapshotStore(knex).months(period.from, period.to);
    const extensions = await reportedExtensions(knex);
    const again = last && (await sameAsLast(deps, last, period, days, extensions));
    if (again) return again;
    const seq = num(last?.seq) + 1;
    const anchors = await anchorsSince(knex, num(last?.generated_at), now);
    const { text, payload } = await sign(deps, {
      period,
      generatedAt: now,
      seq,
      prev: (last?.hash as string | undefined) ?? null,
      days,
      extensions,
      ...anchors,
    });
    try {
      await knex('license_usage_reports').insert({
        seq,
        hash: reportHash(text),
        period_from: period.from,
        period_to: period.to,
        generated_at: now.getTime(),
      });
    } catch (err) {
      if (deps.dialect.isUniqueViolation(err)) continue; // another node took this number
      throw err;
    }
    return { text, payload, fileName: fileName(deps.serverId, seq) };
  }
  throw new Error('No usage report number could be taken after 10 attempts.');
}

interface LastReport {
  seq: number | string;
  hash: string;
  period_from: string;
  period_to: string;
  generated_at: number | string;
}

const fileName = (serverId: string, seq: number): string => `usage-report-${serverId}-${String(seq).padStart(4, '0')}.jws`;

async function sign(
  deps: UsageReportDeps,
  at: {
    period: { from: string; to: string };
    generatedAt: Date;
    seq: number;
    prev: string | null;
    days: DaySnapshot[];
    extensions: ReportedExtension[];
  } & Anchors,
): Promise<{ text: string; payload: UsageReportPayload }> {
  const l = deps.license;
  const payload = buildUsageReport({ serverId: deps.serverId, license: l ? { lid: l.lid, sub: l.sub, licensee: l.licensee } : null, ...at });
  const text = await signDocument(USAGE_REPORT_TYP, payload, deps.instanceKey.privateJwk, { jwk: deps.instanceKey.publicJwk });
  return { text, payload };
}

/**
 * NOTE: a download is a GET, so a second click, a prefetch or a reload must not take a new
 * number (the vendor would see a gap). When the last report covers the same period and nothing in
 * it changed, the same report is given back: Ed25519 signatures are deterministic, so rebuilding
 * it with its own number, link and time gives the very same text, whose hash is the stored one.
 */
async function sameAsLast(
  deps: UsageReportDeps,
  last: LastReport,
  period: { from: string; to: string },
  days: DaySnapshot[],
  extensions: ReportedExtension[],
): Promise<UsageReport | undefined> {
  if (last.period_from !== period.from || last.period_to !== period.to) return undefined;
  const seq = num(last.seq);
  const before =
    seq > 1
      ? await deps
          .knex('license_usage_reports')
          .where({ seq: seq - 1 })
          .first('hash', 'generated_at')
      : undefined;
  const generatedAt = new Date(num(last.generated_at));
  // NOTE: an audit entry since then (a key set, a clock reset) moves the head: a new report then
  const anchors = await anchorsSince(deps.knex, num(before?.generated_at), generatedAt);
  const rebuilt = await sign(deps, { period, generatedAt, seq, prev: (before?.hash as string | undefined) ?? null, days, extensions, ...anchors });
  if (reportHash(rebuilt.text) !== last.hash) return undefined;
  return { ...rebuilt, fileName: fileName(deps.serverId, seq) };
}

interface Anchors {
  audit: { entries: number; hash: string; broken?: true };
  clockResets: { at: number; actor: string; from: number | null }[];
}

/**
 * What a report carries besides usage (SPEC 21): the audit chain's head now, and the clock
 * resets after the previous report (`since`, ms) up to this one, read from their events.
 */
async function anchorsSince(knex: Knex, since: number, until: Date): Promise<Anchors> {
  const [{ head, problem }, resets] = await Promise.all([
    readAuditHead(knex),
    knex('license_events')
      .where({ kind: 'clock_reset' })
      .andWhere('at', '>', since)
      .andWhere('at', '<=', until.getTime())
      .orderBy('at')
      .select('at', 'data') as Promise<Array<{ at: number | string; data: string }>>,
  ]);
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return {
    audit: problem ? { ...head, broken: true } : head,
    clockResets: resets.map((r) => {
      const data = JSON.parse(r.data) as { actor?: unknown; from?: unknown };
      return { at: seconds(Number(r.at)), actor: String(data.actor ?? 'unknown'), from: typeof data.from === 'number' ? seconds(data.from) : null };
    }),
  };
}

/** SPEC 22: every self-service extension used here, in every report from its use on (the vendor sees each). */
async function reportedExtensions(knex: Knex): Promise<ReportedExtension[]> {
  return (await readExtensions(knex)).map((u) => ({
    lid: u.lid,
    serverId: u.serverId,
    use: u.use,
    days: u.days,
    at: new Date(u.at).toISOString(),
    until: new Date(u.graceEndAfter * 1000).toISOString(),
    actor: u.actor,
  }));
}
