import type { LicenseState, LicenseStatus, ProjectUsage, ServerIdEvent, StoredKey } from '../license/types.js';
import type { JobHealth, NotificationRow } from '../jobs/port.js';
import { isUsable } from '../license/evaluate.js';
import { historyChart } from './chart.js';
import { formatDate, formatDateTime, formatNumber, lastValidDay } from './format.js';

/** What the page's sections were loaded with; null when that source failed (the page still shows). */
export interface PageData {
  status: LicenseStatus;
  keys: StoredKey[] | null;
  usage: ProjectUsage[] | null;
  notifications: NotificationRow[] | null;
  health: JobHealth | null;
  history: { day: string; used: number }[] | null;
  events: ServerIdEvent[] | null;
}

export interface PageContext {
  productName: string;
  productVersion: string;
  moduleVersion: string;
  supportEmail?: string;
  /** the mount path, '' at the root */
  base: string;
  csrfToken: string;
  /** a sentence after a successful form post */
  flash: string | null;
  /** a refused form keeps what was typed and says why next to it */
  forms: {
    license?: { value: string; error: string; code: string };
    threshold?: { value: string; error: string };
    testEmail?: { error: string };
  };
}

export type Tone = 'staging' | 'danger' | 'warning' | 'info' | 'success';
export interface Banner {
  tone: Tone;
  title: string;
  text: string;
  code: string;
}

const STATE_LABELS: Record<LicenseState, { label: string; tone: Tone }> = {
  none: { label: 'No license', tone: 'info' },
  invalid: { label: 'Invalid', tone: 'danger' },
  wrong_server: { label: 'Issued for another server', tone: 'danger' },
  not_yet_valid: { label: 'Not valid yet', tone: 'warning' },
  active: { label: 'Active', tone: 'success' },
  expiring: { label: 'Expiring soon', tone: 'warning' },
  grace: { label: 'In grace period', tone: 'danger' },
  expired: { label: 'Expired', tone: 'danger' },
};

const TABLE_ROWS = 50;

const NOTIFICATION_KINDS: Record<string, string> = {
  'expiry-2m': 'Expiry reminder, 2 months',
  'expiry-1m': 'Expiry reminder, 1 month',
  'loc-threshold': 'Lines of code over the threshold',
  grace: 'License in grace period',
  expired: 'License expired',
  test: 'Test email',
};

function daysText(days: number | null): string {
  if (days === null) return '';
  if (days > 1) return `${days} days left`;
  if (days === 1) return '1 day left';
  if (days === 0) return 'ends today';
  return `ended ${-days} day${days === -1 ? '' : 's'} ago`;
}

/** Warning codes of status() that a banner below already says, in better words. */
const COVERS: Record<string, string> = {
  none: 'NO_LICENSE',
  invalid: 'LICENSE_INVALID',
  wrong_server: 'SERVER_ID_MISMATCH',
  not_yet_valid: 'LICENSE_NOT_YET_VALID',
  expiring: 'LICENSE_EXPIRING',
  grace: 'LICENSE_GRACE',
  expired: 'LICENSE_EXPIRED',
  loc_soft_cap_overage: 'LOC_OVER_LIMIT_SOFT',
  loc_limit_reached: 'LOC_OVER_LIMIT',
  loc_threshold: 'LOC_OVER_THRESHOLD',
};

const WARNING_TITLES: Record<string, string> = {
  SERVER_ID_CHANGED: 'Server ID changed',
  CLOCK_BACKWARDS: 'The clock went back',
};

/**
 * The banners at the top of the page, most serious first: STAGING, the license state, the LOC
 * limit, then every status() warning that no banner already says.
 */
export function bannersOf(s: LicenseStatus): Banner[] {
  const banners: Banner[] = [];
  const l = s.license;
  const ends = l ? lastValidDay(l.exp) : '';
  const warning = (code: string) => s.warnings.find((w) => w.code === code)?.message;
  if (s.details.staging) {
    banners.push({ tone: 'staging', code: 'staging', title: 'STAGING', text: 'This instance runs on a staging license. It is not licensed for production use.' });
  }
  switch (s.state) {
    case 'none':
      banners.push({ tone: 'info', code: 'none', title: 'No license installed', text: 'Commercial features are off. Paste the license key you received from your vendor in “Set new license” below.' });
      break;
    case 'invalid':
      banners.push({ tone: 'danger', code: 'invalid', title: 'The license key is not valid', text: `${warning('LICENSE_INVALID') ?? 'The installed key does not verify.'} Commercial features are off; set a new license below.` });
      break;
    case 'wrong_server':
      banners.push({
        tone: 'danger', code: 'wrong_server', title: 'License issued for another server',
        text: `The license was issued for server ID ${l?.serverId ?? 'unknown'}, but this server's ID is ${s.serverId}. Request a license for ${s.serverId}.`,
      });
      break;
    case 'not_yet_valid':
      banners.push({ tone: 'warning', code: 'not_yet_valid', title: 'License not valid yet', text: `The license becomes valid on ${l ? formatDate(l.nbf) : '—'}.` });
      break;
    case 'expiring':
      banners.push({ tone: 'warning', code: 'expiring', title: 'License expiring soon', text: `The license ends on ${ends} (${daysText(s.details.daysLeft)}). Request a renewal to keep commercial features on.` });
      break;
    case 'grace':
      banners.push({
        tone: 'danger', code: 'grace', title: 'License expired — grace period',
        text: `The license ended on ${ends}. Commercial features stay on until ${formatDate(s.details.graceEndsAt)}; set a renewed license before then.`,
      });
      break;
    case 'expired':
      banners.push({ tone: 'danger', code: 'expired', title: 'License expired', text: `The license ended on ${ends} and its grace period is over. Commercial features are off until a new license is set.` });
      break;
    default:
      break;
  }
  const { used, limit, percent, threshold, softCap } = s.loc;
  if (limit !== null && used > limit && softCap) {
    banners.push({
      tone: 'warning', code: 'loc_soft_cap_overage', title: 'Over the licensed lines of code',
      text: `${formatNumber(used)} lines of code are in use, ${formatNumber(used - limit)} over the limit of ${formatNumber(limit)}. Your license allows this (true-up); the overage is settled at renewal.`,
    });
  } else if (limit !== null && used >= limit && !softCap) {
    banners.push({
      tone: 'danger', code: 'loc_limit_reached', title: 'Lines of code limit reached',
      text: `${formatNumber(used)} of ${formatNumber(limit)} licensed lines of code are in use: analyses that add code are refused.`,
    });
  } else if (percent !== null && percent >= threshold) {
    banners.push({ tone: 'warning', code: 'loc_threshold', title: 'Lines of code above your threshold', text: `${percent}% of the licensed lines of code are in use (threshold ${threshold}%).` });
  }
  const said = new Set(banners.map((b) => COVERS[b.code]));
  for (const w of s.warnings) {
    if (!said.has(w.code)) banners.push({ tone: 'warning', code: w.code, title: WARNING_TITLES[w.code] ?? 'Warning', text: w.message });
  }
  return banners;
}

/** Everything the template shows, formatted; the template only lays it out and escapes it. */
export function pageModel(data: PageData, ctx: PageContext) {
  const s = data.status;
  const l = s.license;
  const state = STATE_LABELS[s.state];
  const { used, limit, percent, threshold, softCap } = s.loc;
  const usage = data.usage;
  const health = data.health;
  return {
    ...ctx,
    assets: `${ctx.base}/assets`,
    api: `${ctx.base}/api`,
    serverId: s.serverId,
    state: { code: s.state, ...state },
    banners: bannersOf(s),
    license: l && {
      licensee: l.licensee,
      edition: l.edition,
      type: l.type,
      lid: l.lid,
      sub: l.sub,
      serverId: l.serverId,
      validFrom: formatDate(l.nbf),
      lastDay: lastValidDay(l.exp),
      daysLeft: daysText(s.details.daysLeft),
      graceEnds: s.details.graceEndsAt ? formatDate(s.details.graceEndsAt) : null,
      bridgeUntil: s.details.bridgeUntil ? formatDate(s.details.bridgeUntil) : null,
      features: l.features,
      users: l.limits.users === undefined ? 'Unlimited' : formatNumber(l.limits.users),
      tags: l.tags,
    },
    gauge: {
      used: formatNumber(used),
      limit: limit !== null ? formatNumber(limit) : l && isUsable(s.state) ? 'Unlimited' : '—',
      unlimited: limit === null,
      percent: percent === null ? '—' : `${percent}%`,
      fill: percent === null ? 0 : Math.min(100, Math.max(0, percent)),
      threshold,
      tone: limit !== null && used >= limit ? 'danger' : percent !== null && percent >= threshold ? 'warning' : 'ok',
      softCap,
    },
    chart: data.history && historyChart(data.history, limit, threshold),
    historyAvailable: data.history !== null,
    keys: data.keys?.map((k) => ({
      lid: k.lid,
      licensee: k.licensee,
      type: k.type,
      edition: k.edition,
      serverId: k.serverId,
      lastDay: lastValidDay(k.exp),
      setBy: k.setBy,
      setAt: formatDateTime(k.setAt),
      source: k.source === 'config' ? 'configuration' : 'set on this page',
      state: STATE_LABELS[k.state]?.label ?? k.state,
      tone: STATE_LABELS[k.state]?.tone ?? 'info',
      current: k.current,
    })) ?? null,
    events: data.events?.map((e) => ({ at: formatDateTime(e.at), oldId: e.oldId ?? '—', newId: e.newId, reason: e.reason })) ?? null,
    notifications: data.notifications?.map((n) => ({
      kind: NOTIFICATION_KINDS[n.kind] ?? n.kind.replace(/[_-]+/g, ' '),
      status: n.status,
      recipients: n.recipients,
      created: formatDateTime(n.createdAt),
      sent: n.sentAt ? formatDateTime(n.sentAt) : '—',
      attempts: n.attempts,
      failed: n.status !== 'sent' && n.lastError !== null,
    })) ?? null,
    health: health && {
      mailConfigured: health.mailConfigured,
      adminsWithoutEmail: health.adminsWithoutEmail,
      lastRun: health.lastRun && {
        at: formatDateTime(health.lastRun.startedAt),
        outcome: health.lastRun.outcome,
        tone: health.lastRun.outcome === 'ok' ? 'success' : health.lastRun.outcome === 'skipped' ? 'info' : 'danger',
        sent: health.lastRun.sent,
        failed: health.lastRun.failed,
        pending: health.lastRun.pending,
      },
    },
    usage: usage && {
      rows: usage.slice(0, TABLE_ROWS).map((u) => ({
        project: u.project,
        branch: u.branch,
        loc: formatNumber(u.loc),
        share: u.share === null ? '—' : `${u.share}%`,
        last: formatDate(u.lastAnalysisAt),
        lastFull: formatDateTime(u.lastAnalysisAt),
      })),
      more: Math.max(0, usage.length - TABLE_ROWS),
      count: usage.length,
    },
    requestLicense: requestLink(ctx, s),
  };
}

export type PageModel = ReturnType<typeof pageModel>;

/** The "Request a new license" mailto: with what the vendor needs to issue a key. */
function requestLink(ctx: PageContext, s: LicenseStatus): string | null {
  if (!ctx.supportEmail) return null;
  const subject = `License request for server ID ${s.serverId}`;
  const body = [
    'Hello,',
    '',
    `Please issue a new license for this ${ctx.productName} instance.`,
    '',
    `Server ID: ${s.serverId}`,
    `Product version: ${ctx.productName} ${ctx.productVersion}`,
    `Edition: ${s.license?.edition ?? 'none'}`,
    `Current license ID: ${s.license?.lid ?? 'none'}`,
    `Licensee: ${s.license?.licensee ?? ''}`,
    '',
  ].join('\r\n');
  return `mailto:${encodeURIComponent(ctx.supportEmail).replace(/%40/g, '@')}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}
