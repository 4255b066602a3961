/**
 * Renders a notification's subject, HTML and text parts from the EJS templates in
 * `views/emails/`. Called once per notification, not once per recipient: every administrator
 * gets the same body.
 */
import { viewsDir as packageViewsDir } from '../package-root.js';
import { join } from 'node:path';
import ejs from 'ejs';
import { formatDay, lastValidDay } from '../license/dates.js';
import type { NotificationFacts, NotificationKind } from './types.js';

export interface EmailContext {
  productName: string;
  serverId: string;
  pageUrl: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Dates in emails: a calendar day in UTC, the time zone `exp` is counted in. */
export function formatDate(isoDate: string | null): string {
  return formatDay(isoDate);
}

/**
 * The last day an end instant (`exp`, or the end of grace) leaves valid, formatted: the one
 * date convention of SPEC 16, so the email says what the page and the CLI say.
 */
export function lastDay(isoDate: string | null): string {
  if (!isoDate) return '—';
  return formatDay(lastValidDay(Math.round(Date.parse(isoDate) / 1000)));
}

export function formatNumber(n: number | null): string {
  return n === null ? 'unlimited' : n.toLocaleString('en-US');
}

/** "1 day", "59 days" */
export function formatDays(n: number | null): string {
  if (n === null) return '—';
  return `${formatNumber(n)} ${n === 1 ? 'day' : 'days'}`;
}

/** Subject lines, one per kind (the sentences the administrators see first). */
const subjects: Record<NotificationKind, (f: NotificationFacts, product: string) => string> = {
  // NOTE: the days left, not "two months" / "one month": a key set with ten days left (an
  // emergency license) gets the one-month reminder, and it must not say "in one month".
  'expiry-2m': (f, p) => `${p}: the license is valid until ${lastDay(f.expiresAt)}, ${formatDays(f.daysLeft)} left`,
  'expiry-1m': (f, p) => `${p}: the license is valid until ${lastDay(f.expiresAt)}, ${formatDays(f.daysLeft)} left`,
  'loc-threshold': (f, p) => `${p}: ${f.loc.percent ?? 0}% of the licensed lines of code are used`,
  grace: (f, p) => `${p}: the license has expired; commercial features stay on through ${lastDay(f.graceEndsAt)}`,
  expired: (_f, p) => `${p}: the license has expired`,
  test: (_f, p) => `${p}: test email from the License Manager`,
  extension: (f, p) =>
    `${p}: the license was extended by ${formatDays(f.extension?.days ?? null)} by ${f.extension?.actor ?? 'an administrator'}; commercial features stay on through ${lastDay(f.extension?.until ?? f.graceEndsAt)}`,
};

/** template file per kind (the two reminders share one) */
const templates: Record<NotificationKind, string> = {
  'expiry-2m': 'expiry',
  'expiry-1m': 'expiry',
  'loc-threshold': 'loc-threshold',
  grace: 'grace',
  expired: 'expired',
  test: 'test',
  extension: 'extension',
};

export interface Renderer {
  render(kind: NotificationKind, facts: NotificationFacts, context: EmailContext): Promise<RenderedEmail>;
}

export function createRenderer(viewsDir: string = join(packageViewsDir, 'emails')): Renderer {
  return {
    async render(kind, facts, context) {
      const subject = subjects[kind](facts, context.productName);
      const data = {
        kind,
        subject,
        facts,
        product: context.productName,
        serverId: context.serverId || facts.serverId,
        pageUrl: context.pageUrl,
        date: formatDate,
        lastDay,
        number: formatNumber,
        days: formatDays,
      };
      const file = (part: string): string => join(viewsDir, `${templates[kind]}.${part}.ejs`);
      const [html, text] = await Promise.all([
        ejs.renderFile(file('html'), data, { cache: true, async: false }),
        ejs.renderFile(file('text'), data, { cache: true, async: false }),
      ]);
      return { subject, html, text };
    },
  };
}
