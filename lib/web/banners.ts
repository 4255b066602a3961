import type { LicenseStatus } from '../license/types.js';
import { graceSentence, keyDates } from '../license/dates.js';
import { daysText, formatDate, formatNumber, lastValidDay } from './format.js';

export type Tone = 'staging' | 'danger' | 'warning' | 'info' | 'success';
/** What a banner lets the administrator do about it: request a key (text to copy) or paste one. */
export type BannerAction = 'request' | 'paste' | 'move';
export interface Banner {
  tone: Tone;
  title: string;
  text: string;
  code: string;
  actions: BannerAction[];
}

const RENEW: BannerAction[] = ['request', 'paste'];

/** Warning codes of status() that a banner below already says, in better words. */
const COVERS: Record<string, string> = {
  none: 'NO_LICENSE',
  invalid: 'LICENSE_INVALID',
  wrong_server: 'SERVER_ID_MISMATCH',
  not_yet_valid: 'LICENSE_NOT_YET_VALID',
  expiring: 'LICENSE_EXPIRING',
  grace: 'LICENSE_GRACE',
  expired: 'LICENSE_EXPIRED',
  revoked: 'LICENSE_REVOKED',
  loc_soft_cap_overage: 'LOC_OVER_LIMIT_SOFT',
  loc_limit_reached: 'LOC_OVER_LIMIT',
  loc_threshold: 'LOC_OVER_THRESHOLD',
};

const WARNING_TITLES: Record<string, string> = {
  SERVER_ID_CHANGED: 'Server ID changed',
  LICENSE_SOURCE_REFUSED: 'A configured license key is refused',
  CLOCK_BACKWARDS: 'The clock went back',
  CLOCK_SKEW: 'The clock jumped',
  CLOCK_RESET: 'The clock mark was reset',
  DATABASE_UNAVAILABLE: 'The database cannot be reached',
  LICENSE_GAP: 'Gap before the next license',
};

/** Warnings that are news rather than trouble (SPEC 22): shown in the info tone. */
const INFO_WARNINGS: Record<string, string> = {
  LICENSE_EXTENDED: 'License extended (self-service)',
};

/**
 * The banners at the top of the page, most serious first: STAGING, the license state, the LOC
 * limit, then every status() warning that no banner already says.
 */
export function bannersOf(s: LicenseStatus): Banner[] {
  const banners: Banner[] = [];
  const push = (b: Omit<Banner, 'actions'> & { actions?: BannerAction[] }) => banners.push({ actions: [], ...b });
  const l = s.license;
  const ends = l ? lastValidDay(l.exp) : '';
  const dates = l ? keyDates(l, new Date(s.details.evaluatedAt), s.details.graceEndsAt ? Date.parse(s.details.graceEndsAt) / 1000 : null) : null;
  const warning = (code: string) => s.warnings.find((w) => w.code === code)?.message;
  if (s.details.staging) {
    push({ tone: 'staging', code: 'staging', title: 'STAGING', text: 'This instance runs on a staging license. It is not licensed for production use.' });
  }
  switch (s.state) {
    case 'none':
      push({
        tone: 'info',
        code: 'none',
        title: 'No license installed',
        text: 'Commercial features are off. Paste the license key you received from your vendor, or request one.',
        actions: ['paste', 'request'],
      });
      break;
    case 'invalid':
      push({
        tone: 'danger',
        code: 'invalid',
        title: 'The license key is not valid',
        text: `${warning('LICENSE_INVALID') ?? 'The installed key does not verify.'} Commercial features are off until a new license is set.`,
        actions: RENEW,
      });
      break;
    case 'wrong_server':
      push({
        tone: 'danger',
        code: 'wrong_server',
        title: 'License issued for another server',
        text: `The license was issued for server ID ${l?.serverId ?? 'unknown'}, but this server's ID is ${s.serverId}. Request a license for ${s.serverId}.`,
        actions: ['move', ...RENEW],
      });
      break;
    case 'not_yet_valid':
      push({
        tone: 'warning',
        code: 'not_yet_valid',
        title: 'License not valid yet',
        text: `The license starts on ${l ? formatDate(l.nbf) : '—'}. Commercial features are off until then.`,
      });
      break;
    case 'expiring':
      // SPEC 22: a next license that starts by the end of this one: no expiring banner
      if (s.next?.covered) break;
      push({
        tone: 'warning',
        code: 'expiring',
        title: 'License expiring soon',
        text: `The license is valid until ${ends} (${daysText(dates!.daysLeft)}). Request a renewal to keep commercial features on.`,
        actions: RENEW,
      });
      break;
    case 'grace':
      push({
        tone: 'danger',
        code: 'grace',
        title: 'License expired — grace period',
        text: `The license was valid until ${ends}. Grace period: ${graceSentence(dates!)}. Set a renewed license before then.`,
        actions: RENEW,
      });
      break;
    case 'expired':
      push({
        tone: 'danger',
        code: 'expired',
        title: 'License expired',
        text: `The license was valid until ${ends} and its grace period is over. Commercial features are off until a new license is set.`,
        actions: RENEW,
      });
      break;
    case 'revoked':
      push({
        tone: 'danger',
        code: 'revoked',
        title: 'License revoked',
        text: `The vendor revoked this license on ${formatDate(s.details.revokedAt)}. Commercial features are off until the key the vendor sent to replace it is set.`,
        actions: RENEW,
      });
      break;
    default:
      break;
  }
  const { used, limit, percent, threshold, softCap } = s.loc;
  if (limit !== null && used > limit && softCap) {
    push({
      tone: 'warning',
      code: 'loc_soft_cap_overage',
      title: 'Over the licensed lines of code',
      text: `${formatNumber(used)} lines of code are in use, ${formatNumber(used - limit)} over the limit of ${formatNumber(limit)}. Your license allows this (true-up); the overage is settled at renewal.`,
    });
  } else if (limit !== null && used >= limit && !softCap) {
    push({
      tone: 'danger',
      code: 'loc_limit_reached',
      title: 'Lines of code limit reached',
      text: `${formatNumber(used)} of ${formatNumber(limit)} licensed lines of code are in use: analyses that add code are refused.`,
      actions: ['request'],
    });
  } else if (percent !== null && percent >= threshold) {
    push({
      tone: 'warning',
      code: 'loc_threshold',
      title: 'Lines of code above your threshold',
      text: `${percent}% of the licensed lines of code are in use (threshold ${threshold}%).`,
    });
  }
  const said = new Set(banners.map((b) => COVERS[b.code]));
  for (const w of s.warnings) {
    if (said.has(w.code)) continue;
    if (INFO_WARNINGS[w.code]) push({ tone: 'info', code: w.code, title: INFO_WARNINGS[w.code]!, text: w.message, actions: ['request'] });
    else
      push({
        tone: 'warning',
        code: w.code,
        title: WARNING_TITLES[w.code] ?? 'Warning',
        text: w.message,
        actions: w.code === 'SERVER_ID_CHANGED' ? ['move', 'request'] : w.code === 'LICENSE_GAP' ? ['request'] : [],
      });
  }
  return banners;
}
