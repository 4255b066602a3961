import { VendorError } from '../errors.js';
import type { Knex } from 'knex';
import { DocumentError, importPublicJwk, parseDocument, signatureHolds } from 'license-manager/formats';
import type { PublicJwk } from 'license-manager/formats';
import { reportHash } from 'license-manager/formats';
import { USAGE_REPORT_TYP, type UsageReportPayload } from 'license-manager/formats';
import { dialectOf } from 'license-manager/shared';
import { requireSubscription } from './lookup.js';
import { checkUsagePayload } from './usage-payload.js';
import { usageMessages as m } from './usage-messages.js';
import * as store from './store.js';

export interface UsageImport {
  subscription: string;
  serverId: string;
  seq: number;
  period: { from: string; to: string };
  /** the instance key ID (thumbprint) the report was signed with */
  instanceKeyId: string;
  /** true when this import pinned the instance key to the subscription */
  pinned: boolean;
  /** true when this very report was imported before: nothing changed */
  duplicate: boolean;
  /** gaps and breaks in the seq/prev chain */
  warnings: string[];
}

export interface UsageMonth {
  month: string;
  peakLoc: number;
  peakUsers: number;
  limitLoc: number | null;
  limitUsers: number | null;
  /** what to true up: the peak above the limit, 0 when within it or unlimited */
  overLoc: number;
  overUsers: number;
}

export interface UsageSummary {
  subscription: string;
  serverId: string | null;
  instanceKeyId: string | null;
  months: UsageMonth[];
  reports: { seq: number; period: { from: string; to: string }; generatedAt: Date; importedAt: Date; warnings: string[] }[];
  /** report numbers never imported, below the highest imported */
  missing: number[];
  /** SPEC 22: the self-service extensions the reports list, oldest first, each once, with the report that first listed it */
  extensions: UsageExtension[];
}

/** One self-service extension used on the instance, as its usage reports told it. */
export interface UsageExtension {
  lid: string;
  serverId: string;
  use: number;
  days: number;
  at: Date;
  until: Date;
  actor: string;
  /** the report that first listed it */
  reportSeq: number;
}

/** Each extension once (a report lists every one used so far), in the order they were used. */
function extensionsOf(rows: readonly ReportRow[]): UsageExtension[] {
  const seen = new Map<string, UsageExtension>();
  for (const r of rows) {
    const listed = (JSON.parse(r.payload) as Partial<UsageReportPayload>).extensions ?? [];
    for (const e of listed) {
      const key = `${e.lid}|${e.serverId}|${e.use}`;
      if (!seen.has(key))
        seen.set(key, {
          lid: e.lid,
          serverId: e.serverId,
          use: e.use,
          days: e.days,
          at: new Date(e.at),
          until: new Date(e.until),
          actor: e.actor,
          reportSeq: num(r.seq),
        });
    }
  }
  return [...seen.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || a.use - b.use);
}

const reject = (reason: string, data: Record<string, unknown> = {}) =>
  new VendorError('USAGE_REPORT_REJECTED', { detail: `This usage report was refused: ${reason}`, data });
const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

interface ReportRow {
  id: number;
  seq: number | string;
  hash: string;
  prev: string | null;
  warnings: string;
  period_from: string;
  period_to: string;
  generated_at: number | string;
  imported_at: number | string;
  payload: string;
}

/** Signature with the key the report carries, then its shape. */
async function readReport(text: unknown): Promise<{ payload: UsageReportPayload; jwk: PublicJwk; kid: string; hash: string }> {
  let doc;
  try {
    doc = parseDocument(text, USAGE_REPORT_TYP);
  } catch (err) {
    if (err instanceof DocumentError) throw reject(m.notAReport(err.message));
    throw err;
  }
  const jwk = doc.header.jwk as PublicJwk | undefined;
  if (!jwk || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || 'd' in jwk) {
    throw reject(m.noInstanceKey());
  }
  let imported;
  try {
    imported = await importPublicJwk({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
  } catch {
    throw reject(m.noInstanceKey());
  }
  if (!(await signatureHolds(doc, imported.key, imported.alg))) throw reject(m.badSignature());
  const payload = checkUsagePayload(doc.payload, (why) => reject(m.notAReport(why)));
  return { payload, jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, kid: imported.kid, hash: reportHash(doc.compact) };
}

/** The instance key of the subscription, pinned on its first report (trust on first use). */
async function pinInstanceKey(db: Knex, subscription: string, serverId: string, kid: string, jwk: PublicJwk, at: Date): Promise<void> {
  await db('vendor_instance_keys')
    .insert({ subscription, server_id: serverId, kid, jwk: JSON.stringify(jwk), pinned_at: at.getTime() })
    .onConflict('subscription')
    .ignore();
  const pin = await db('vendor_instance_keys').where({ subscription }).first('kid', 'pinned_at');
  if (pin.kid !== kid) throw reject(m.foreignKey(kid, subscription, pin.kid as string, new Date(num(pin.pinned_at))), { subscription, kid, pinned: pin.kid });
}

const rowsOf = async (db: Knex, subscription: string): Promise<ReportRow[]> =>
  (await db('vendor_usage_reports')
    .where('subscription', subscription)
    .orderBy([{ column: 'seq' }, { column: 'id' }])) as ReportRow[];

function chainWarnings(rows: readonly ReportRow[], p: UsageReportPayload): string[] {
  const warnings: string[] = [];
  const sameSeq = rows.find((r) => num(r.seq) === p.seq);
  if (sameSeq) warnings.push(m.sameSeq(p.seq));
  const before = rows.filter((r) => num(r.seq) < p.seq);
  const previous = before.find((r) => num(r.seq) === p.seq - 1);
  if (previous) {
    if (previous.hash !== p.prev) warnings.push(m.chainBroken(p.seq, p.seq - 1));
  } else if (p.seq > 1) {
    const lastBefore = before.length ? num(before[before.length - 1]!.seq) : 0;
    warnings.push(m.gap(lastBefore + 1, p.seq - 1));
  }
  return warnings;
}

/**
 * Imports a usage report (SPEC 18.1): its signature with the instance key it carries, the
 * subscription whose production instance is its server ID, the instance key pinned to that
 * subscription on first use (another key later is refused), gaps in seq/prev as warnings, and
 * the monthly peaks kept (the same month in a later report raises them, never lowers them).
 * The same report twice changes nothing.
 */
export async function importUsageReport(db: Knex, at: Date, text: unknown): Promise<UsageImport> {
  const { payload, jwk, kid, hash } = await readReport(text);
  const [sub] = await store.subscriptionsBoundTo(db, payload.serverId);
  if (!sub) throw reject(m.unknownServer(payload.serverId), { serverId: payload.serverId });
  const result = { subscription: sub.id, serverId: payload.serverId, seq: payload.seq, period: payload.period, instanceKeyId: kid };
  const known = await db<ReportRow>('vendor_usage_reports').where({ hash }).first();
  if (known) {
    await pinInstanceKey(db, sub.id, payload.serverId, kid, jwk, at); // a known report under a new pin is still refused
    return { ...result, pinned: false, duplicate: true, warnings: JSON.parse(known.warnings) as string[] };
  }
  const firstReport = (await rowsOf(db, sub.id)).length === 0;
  await pinInstanceKey(db, sub.id, payload.serverId, kid, jwk, at);
  const dialect = dialectOf(db);
  return db.transaction(async (trx) => {
    const warnings = chainWarnings(await rowsOf(trx, sub.id), payload);
    try {
      await trx('vendor_usage_reports').insert({
        subscription: sub.id,
        hash,
        seq: payload.seq,
        prev: payload.prev,
        server_id: payload.serverId,
        period_from: payload.period.from,
        period_to: payload.period.to,
        generated_at: payload.generatedAt * 1000,
        imported_at: at.getTime(),
        warnings: JSON.stringify(warnings),
        payload: JSON.stringify(payload),
      });
    } catch (err) {
      if (dialect.isUniqueViolation(err)) return { ...result, pinned: false, duplicate: true, warnings }; // imported at the same moment
      throw err;
    }
    for (const month of payload.monthly) await keepMonth(trx, sub.id, payload.seq, month);
    return { ...result, pinned: firstReport, duplicate: false, warnings };
  });
}

async function keepMonth(trx: Knex.Transaction, subscription: string, seq: number, mo: UsageReportPayload['monthly'][number]): Promise<void> {
  const row = await trx('vendor_usage_months').where({ subscription, month: mo.month }).first();
  if (!row) {
    await trx('vendor_usage_months').insert({
      subscription,
      month: mo.month,
      peak_loc: mo.peakLoc,
      peak_users: mo.peakUsers,
      limit_loc: mo.limitLoc,
      limit_users: mo.limitUsers,
      report_seq: seq,
    });
    return;
  }
  const newer = seq >= num(row.report_seq);
  await trx('vendor_usage_months')
    .where({ subscription, month: mo.month })
    .update({
      peak_loc: Math.max(num(row.peak_loc), mo.peakLoc),
      peak_users: Math.max(num(row.peak_users), mo.peakUsers),
      limit_loc: newer ? mo.limitLoc : row.limit_loc,
      limit_users: newer ? mo.limitUsers : row.limit_users,
      report_seq: newer ? seq : row.report_seq,
    });
}

const over = (peak: number, limit: number | null) => (limit === null ? 0 : Math.max(0, peak - limit));

/**
 * Each month's peak against the licensed limit and the overage to true up. A month whose
 * reports name no limit (no license in force then) is judged against the subscription's.
 */
export async function usageSummary(db: Knex, subscriptionId: string): Promise<UsageSummary> {
  const sub = await requireSubscription(db, subscriptionId);
  const pin = await db('vendor_instance_keys').where({ subscription: sub.id }).first('kid', 'server_id');
  const monthRows: Record<string, unknown>[] = await db('vendor_usage_months').where({ subscription: sub.id }).orderBy('month', 'asc');
  const months = monthRows.map((r) => {
    const limitLoc = numOrNull(r.limit_loc) ?? sub.loc;
    const limitUsers = numOrNull(r.limit_users) ?? sub.users;
    const peakLoc = num(r.peak_loc);
    const peakUsers = num(r.peak_users);
    return { month: r.month as string, peakLoc, peakUsers, limitLoc, limitUsers, overLoc: over(peakLoc, limitLoc), overUsers: over(peakUsers, limitUsers) };
  });
  const rows = await rowsOf(db, sub.id);
  const seqs = new Set(rows.map((r) => num(r.seq)));
  const top = Math.max(0, ...seqs);
  const missing: number[] = [];
  for (let s = 1; s < top; s++) if (!seqs.has(s)) missing.push(s);
  return {
    subscription: sub.id,
    serverId: (pin?.server_id as string | undefined) ?? sub.productionServerId,
    instanceKeyId: (pin?.kid as string | undefined) ?? null,
    months,
    reports: rows.map((r) => ({
      seq: num(r.seq),
      period: { from: r.period_from, to: r.period_to },
      generatedAt: new Date(num(r.generated_at)),
      importedAt: new Date(num(r.imported_at)),
      warnings: JSON.parse(r.warnings) as string[],
    })),
    missing,
    extensions: extensionsOf(rows),
  };
}
