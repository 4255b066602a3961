import type { UsageReportPayload } from 'license-manager/formats';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const limit = (v: unknown): v is number | null => v === null || whole(v);
const textOrNull = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v.length <= 255);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const shortText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** SPEC 22: the self-service extensions a report lists, each { lid, serverId, use, days, at, until, actor }. */
function checkExtensions(list: unknown, fail: (why: string) => Error): void {
  if (!Array.isArray(list) || list.length > 10_000) throw fail('its extensions are not a list');
  for (const e of list as Record<string, unknown>[]) {
    const ok =
      e &&
      shortText(e.lid, 64) &&
      shortText(e.serverId, 40) &&
      whole(e.use) &&
      e.use >= 1 &&
      e.use <= 3 &&
      whole(e.days) &&
      e.days >= 1 &&
      e.days <= 30 &&
      typeof e.at === 'string' &&
      ISO.test(e.at) &&
      typeof e.until === 'string' &&
      ISO.test(e.until) &&
      shortText(e.actor, 200);
    if (!ok) throw fail('an extension is not { lid, serverId, use, days, at, until, actor }');
  }
}

/** The shape of a usage report payload (SPEC 18.1), or `fail(why)`. */
export function checkUsagePayload(p: Record<string, unknown>, fail: (why: string) => Error): UsageReportPayload {
  if (p.v !== 1) throw fail('its format version is not 1');
  if (typeof p.serverId !== 'string' || p.serverId.length > 40) throw fail('it names no server ID');
  if (!textOrNull(p.lid) || !textOrNull(p.sub) || !textOrNull(p.licensee)) throw fail('its license fields are not text');
  const period = p.period as { from?: unknown; to?: unknown } | null;
  if (
    !period ||
    typeof period.from !== 'string' ||
    typeof period.to !== 'string' ||
    !MONTH.test(period.from) ||
    !MONTH.test(period.to) ||
    period.from > period.to
  ) {
    throw fail('its period is not two months YYYY-MM in order');
  }
  if (!whole(p.generatedAt)) throw fail('its generatedAt is not a time in seconds');
  if (!whole(p.seq) || p.seq < 1) throw fail('its seq is not a whole number of 1 or more');
  if (!(p.prev === null || (typeof p.prev === 'string' && /^[0-9a-f]{64}$/.test(p.prev)))) throw fail('its prev is not a SHA-256 hash');
  if (!Array.isArray(p.monthly) || !Array.isArray(p.daily) || p.monthly.length > 36 || p.daily.length > 1200)
    throw fail('its monthly or daily part is not a list');
  for (const m of p.monthly as Record<string, unknown>[]) {
    if (!m || typeof m.month !== 'string' || !MONTH.test(m.month) || !whole(m.peakLoc) || !whole(m.peakUsers) || !limit(m.limitLoc) || !limit(m.limitUsers)) {
      throw fail('a monthly entry is not { month, peakLoc, peakUsers, limitLoc, limitUsers }');
    }
  }
  for (const d of p.daily as Record<string, unknown>[]) {
    if (!d || typeof d.day !== 'string' || !DAY.test(d.day) || !whole(d.loc) || !whole(d.users)) throw fail('a daily entry is not { day, loc, users }');
  }
  if (p.extensions !== undefined) checkExtensions(p.extensions, fail);
  return p as unknown as UsageReportPayload;
}
