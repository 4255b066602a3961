import type { LicenseChanges } from '../license/changes.js';
import { formatDay, keyDates } from '../license/dates.js';
import type { LicensePreview } from '../runtime/reads.js';
import { STATE_LABELS } from './badge.js';
import { formatNumber } from './format.js';

const limitText = (n: number | undefined | null) => (n === undefined || n === null ? 'Unlimited' : formatNumber(n));
const LABEL = { loc: 'Lines of code', users: 'Users' } as const;

/** What changes, one sentence each, for the preview's list. */
function changeLines(c: LicenseChanges): string[] {
  if (c.first) return ['No license is in force now: this key turns on what it includes.'];
  const lines: string[] = [];
  if (c.featuresLost.length) lines.push(`Features lost: ${c.featuresLost.join(', ')}`);
  if (c.featuresGained.length) lines.push(`Features gained: ${c.featuresGained.join(', ')}`);
  for (const l of c.limits) lines.push(`${LABEL[l.resource]}: ${limitText(l.to)} instead of ${limitText(l.from)} (${l.change})`);
  if (c.end) lines.push(`Valid until ${formatDay(c.end.to)} instead of ${formatDay(c.end.from)} (${c.end.change})`);
  if (c.serverId) lines.push(`Server ID: ${c.serverId.to} instead of ${c.serverId.from}`);
  if (c.type) lines.push(`Type: ${c.type.to} instead of ${c.type.from}`);
  if (c.edition) lines.push(`Edition: ${c.edition.to} instead of ${c.edition.from}`);
  if (lines.length === 0) lines.push('Nothing changes but the key itself: same features, limits and end.');
  return lines;
}

/** The preview step of Set new license (SPEC 16), formatted for the page. */
export function previewModel(p: LicensePreview, key: string, now: Date) {
  const l = p.license;
  const dates = keyDates(l, now);
  const future = p.state === 'not_yet_valid';
  return {
    key,
    licensee: l.licensee,
    type: l.type,
    edition: l.edition,
    lid: l.lid,
    serverId: l.serverId,
    state: STATE_LABELS[p.state].label,
    validFrom: formatDay(dates.validFrom),
    validUntil: formatDay(dates.validUntil),
    grace: dates.graceDays === 0 ? 'none' : `${dates.graceDays} days, through ${formatDay(dates.graceUntil)}`,
    loc: limitText(l.limits.loc),
    users: limitText(l.limits.users),
    features: l.features,
    future: future
      ? `This key starts on ${formatDay(dates.validFrom)}. The current license stays in force until then; after that this key takes over by itself.`
      : null,
    dormant:
      p.state === 'wrong_server'
        ? `This staging key is for server ID ${l.serverId}: it is kept here, dormant, and becomes current by itself on the staging copy of this database.`
        : null,
    changes: changeLines(p.changes),
    warnings: p.changes.warnings,
  };
}

export type PreviewModel = ReturnType<typeof previewModel>;
