import type { LicenseStatus, ServerIdEvent, StoredKey } from '../license/types.js';
import type { LicenseSource } from '../license/config-source.js';
import type { UsagePage } from '../usage/project-usage.js';
import type { JobHealth, NotificationRow } from '../jobs/port.js';
import { isUsable } from '../license/evaluate.js';
import { keyDates, graceSentence } from '../license/dates.js';
import { historyChart, HISTORY_DAYS } from './chart.js';
import { bannersOf } from './banners.js';
import type { PreviewModel } from './preview-model.js';
import { headerBadge, stateBadge, STATE_LABELS, usersOf } from './badge.js';
import { continuityModel, type ExtendForm } from './continuity-model.js';
import type { AuditEntry } from '../audit/index.js';
import { auditModel } from './audit-model.js';
import { daysText, formatDate, formatDateTime, formatNumber, lastValidDay } from './format.js';

/** What the page's sections were loaded with; null when that source failed (the page still shows). */
export interface PageData {
  status: LicenseStatus;
  /** one page of stored keys, newest first */
  keys: StoredKey[] | null;
  /** the largest projects and how many there are */
  usage: UsagePage | null;
  /** one page of notifications, newest first */
  notifications: NotificationRow[] | null;
  /** per paged list: the query of its next (older) page, null on the last; `later` when not on the first */
  pages: Record<'keys' | 'notifications', { older: string | null; later: boolean }>;
  health: JobHealth | null;
  history: { day: string; used: number }[] | null;
  events: ServerIdEvent[] | null;
  /** the latest audit entries; optional so a page without the section still renders */
  audit?: AuditEntry[] | null;
}

export interface PageContext {
  productName: string;
  productVersion: string;
  moduleVersion: string;
  supportEmail?: string;
  /** the mount path, '' at the root */
  base: string;
  csrfToken: string;
  /** the outcome of the last action: shown first, in view and focused */
  flash: { tone: 'success' | 'danger' | 'info'; text: string; undo?: { lid: string; label: string } } | null;
  /** whether the audit-trail section (views/partials/audit.ejs) is there to include */
  hasAudit?: boolean;
  /** a refused form keeps what was typed and says why next to it */
  /** the offline trade (SPEC 18): the instance key ID and the revocation list in force */
  offline?: { instanceKeyId: string; revocations: { number: number; issuedAt: string; revoked: number } | null } | null;
  forms: {
    revocations?: { value: string; error: string; code: string };
    /** SPEC 22: the Request a move form, refused */
    move?: { value: string; error: string; code: string };
    license?: { value: string; error: string; code: string };
    threshold?: { value: string; error: string };
    testEmail?: { error: string };
    /** the preview step of Set new license: the key shown before Apply (SPEC 16) */
    preview?: PreviewModel;
    /** SPEC 22: the confirmation step of Extend by N days, or its refusal */
    extend?: ExtendForm;
  };
}

const NOTIFICATION_KINDS: Record<string, string> = {
  'expiry-2m': 'Expiry reminder, 2 months',
  'expiry-1m': 'Expiry reminder, 1 month',
  'loc-threshold': 'Lines of code over the threshold',
  grace: 'License in grace period',
  expired: 'License expired',
  test: 'Test email',
  extension: 'Self-service extension used',
};

/** Where the license in force comes from (SPEC 22), as the page says it. */
const SOURCE_LABELS: Record<LicenseSource, string> = {
  page: 'Set on this page (or the API or CLI)',
  option: 'Configuration: the licenseKey option',
  env: 'Configuration: the LICENSE_KEY environment variable',
  file: 'Configuration: the file named by LICENSE_KEY_FILE',
};

/** Everything the template shows, formatted; the template only lays it out and escapes it. */
export function pageModel(data: PageData, ctx: PageContext) {
  const s = data.status;
  const l = s.license;
  const state = stateBadge(s);
  const { used, limit, percent, threshold, softCap } = s.loc;
  const usage = data.usage;
  const health = data.health;
  const evaluatedAt = new Date(s.details.evaluatedAt);
  const dates = l ? keyDates(l, evaluatedAt, s.details.graceEndsAt ? Date.parse(s.details.graceEndsAt) / 1000 : null) : null;
  const users = usersOf(s);
  return {
    ...ctx,
    assets: `${ctx.base}/assets`,
    api: `${ctx.base}/api`,
    serverId: s.serverId,
    state: { code: s.state, ...state },
    badge: headerBadge(s),
    staging: s.details.staging,
    banners: bannersOf(s),
    requestText: requestText(ctx, s, ctx.offline?.instanceKeyId),
    license: l &&
      dates && {
        licensee: l.licensee,
        edition: l.edition,
        type: l.type,
        lid: l.lid,
        sub: l.sub,
        serverId: l.serverId,
        validFrom: formatDate(l.nbf),
        notStarted: s.state === 'not_yet_valid',
        lastDay: lastValidDay(l.exp),
        daysLeft: dates.daysLeft > 0 ? daysText(dates.daysLeft) : '',
        grace:
          dates.graceDays === 0
            ? 'None: commercial features stop after the last valid day'
            : s.state === 'grace'
              ? `Now: ${graceSentence(dates)}`
              : `${dates.graceDays} day${dates.graceDays === 1 ? '' : 's'} after the last valid day, through ${formatDate(dates.graceUntil)}`,
        bridgeUntil: s.details.bridgeUntil ? formatDate(s.details.bridgeUntil) : null,
        features: l.features,
        users: l.limits.users === undefined ? 'Unlimited' : formatNumber(l.limits.users),
        tags: l.tags,
        source: SOURCE_LABELS[l.source ?? 'page'],
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
    users: users && {
      used: formatNumber(users.used),
      limit: users.limit === null || users.limit === undefined ? 'Unlimited' : formatNumber(users.limit),
      unlimited: users.limit === null || users.limit === undefined,
      percent: users.limit ? Math.round((users.used / users.limit) * 1000) / 10 : null,
      fill: users.limit ? Math.min(100, Math.round((users.used / users.limit) * 100)) : 0,
      tone: users.limit !== null && users.limit !== undefined && users.used > users.limit ? (softCap ? 'warning' : 'danger') : 'ok',
    },
    chart: data.history && historyChart(endingNow(data.history, s), limit, threshold),
    historyDays: HISTORY_DAYS,
    historyAvailable: data.history !== null,
    keys:
      data.keys?.map((k) => ({
        lid: k.lid,
        licensee: k.licensee,
        type: k.type,
        edition: k.edition,
        serverId: k.serverId,
        lastDay: lastValidDay(k.exp),
        setBy: k.setBy,
        setAt: formatDateTime(k.setAt),
        // NOTE: the ring does not know whether a database key came from the page, the API or the
        // CLI, so only a configuration key says where it came from.
        source: k.source === 'config' ? 'from the configuration' : null,
        // a staging key for this database's staging copy waits here until the next copy
        dormant: k.type === 'staging' && k.state === 'wrong_server',
        state: k.type === 'staging' && k.state === 'wrong_server' ? 'Dormant (for the staging copy)' : (STATE_LABELS[k.state]?.label ?? k.state),
        tone: k.type === 'staging' && k.state === 'wrong_server' ? 'info' : (STATE_LABELS[k.state]?.tone ?? 'info'),
        current: k.current,
        retired: k.retired,
        starts: k.state === 'not_yet_valid' ? `Starts on ${formatDate(k.nbf)}; the current license stays in force until then.` : null,
        // SPEC 16: a usable stored key can be made current; any stored key not current retired
        canActivate: k.source === 'database' && !k.current && isUsable(k.state),
        canRetire: k.source === 'database' && !k.current && !k.retired,
      })) ?? null,
    events: data.events?.map((e) => ({ at: formatDateTime(e.at), oldId: e.oldId ?? '—', newId: e.newId, reason: e.reason })) ?? null,
    notifications:
      data.notifications?.map((n) => ({
        kind: NOTIFICATION_KINDS[n.kind] ?? n.kind.replace(/[_-]+/g, ' '),
        status: n.status,
        recipients: n.recipients,
        created: formatDateTime(n.createdAt),
        sent: n.sentAt ? formatDateTime(n.sentAt) : '—',
        attempts: n.attempts,
        failed: n.status !== 'sent' && n.lastError !== null,
        webhook: n.target ?? null,
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
    pager: {
      keys: pagerOf(ctx.base, data.pages.keys, 'keys-title'),
      notifications: pagerOf(ctx.base, data.pages.notifications, 'notifications-title'),
    },
    usage: usage && {
      rows: usage.projects.map((u) => ({
        project: u.project,
        branch: u.branch,
        loc: formatNumber(u.loc),
        share: u.share === null ? '—' : `${u.share}%`,
        last: formatDate(u.lastAnalysisAt),
        lastFull: formatDateTime(u.lastAnalysisAt),
      })),
      shown: usage.projects.length,
      // the page reads the largest projects only; the CSV has them all
      more: usage.total > usage.projects.length ? formatNumber(usage.total) : null,
    },
    requestLicense: requestLink(ctx, s, ctx.offline?.instanceKeyId),
    move: ctx.offline ? moveModel(data.events, s) : null,
    continuity: continuityModel(s, ctx.forms.extend),
    audit: data.audit ? auditModel(data.audit) : null,
  };
}

export type PageModel = ReturnType<typeof pageModel>;

/** Links of a paged list: to its older entries, and back to the newest when not on the first page. */
function pagerOf(base: string, page: { older: string | null; later: boolean }, anchor: string) {
  return {
    older: page.older && `${base}/${page.older}#${anchor}`,
    newest: page.later ? `${base}/#${anchor}` : null,
  };
}

/**
 * The daily snapshots, ending with the consumption shown above the chart: today's point is the
 * live figure (the day's snapshot may predate the latest analyses).
 */
export function endingNow(history: readonly { day: string; used: number }[], s: LicenseStatus): { day: string; used: number }[] {
  const today = s.details.evaluatedAt.slice(0, 10);
  const past = history.filter((p) => p.day < today);
  return [...past, { day: today, used: s.loc.used }];
}

/**
 * SPEC 22 "Request a move": offered after the server ID changed (the latest change led to this
 * ID) while no license issued for this server ID (or for any, "*") is the one shown.
 */
function moveModel(events: readonly ServerIdEvent[] | null, s: LicenseStatus) {
  const latest = events?.[0];
  if (!latest || latest.newId !== s.serverId || !latest.oldId) return null;
  if (s.license && (s.license.serverId === s.serverId || s.license.serverId === '*')) return null;
  return {
    oldId: s.license && s.license.serverId !== s.serverId && events!.some((e) => e.oldId === s.license!.serverId) ? s.license.serverId : latest.oldId,
    newId: latest.newId,
    at: formatDate(latest.at),
  };
}

/**
 * The text of a license request: what the vendor needs to issue a key (mailto body and copy).
 * The instance key ID (SPEC 21) lets the vendor pin the key before the first usage report.
 */
export function requestText(ctx: Pick<PageContext, 'productName' | 'productVersion'>, s: LicenseStatus, instanceKeyId?: string): string {
  return [
    'Hello,',
    '',
    `Please issue a new license for this ${ctx.productName} instance.`,
    '',
    `Server ID: ${s.serverId}`,
    ...(instanceKeyId ? [`Instance key ID: ${instanceKeyId}`] : []),
    `Product version: ${ctx.productName} ${ctx.productVersion}`,
    `Edition: ${s.license?.edition ?? 'none'}`,
    `Current license ID: ${s.license?.lid ?? 'none'}`,
    `Licensee: ${s.license?.licensee ?? ''}`,
    '',
  ].join('\n');
}

/** The "Request a new license" mailto: with what the vendor needs to issue a key. */
function requestLink(ctx: PageContext, s: LicenseStatus, instanceKeyId?: string): string | null {
  if (!ctx.supportEmail) return null;
  const subject = `License request for server ID ${s.serverId}`;
  const body = requestText(ctx, s, instanceKeyId).replace(/\n/g, '\r\n');
  return `mailto:${encodeURIComponent(ctx.supportEmail).replace(/%40/g, '@')}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}
