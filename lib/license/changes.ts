/**
 * What a key would change against the current license (SPEC 16), pure: the preview before apply
 * and the `changes` of `POST api/license`. A loss (a feature gone, a lower limit, an earlier
 * end) is what the administrator must be warned about before pressing Apply.
 */
import type { LicensePayload } from '../keys/claims.js';
import { formatDay, lastValidDay } from './dates.js';

export type Resource = 'loc' | 'users';

export interface LicenseChanges {
  /** true when there is no current license to compare with */
  first: boolean;
  featuresLost: string[];
  featuresGained: string[];
  limits: { resource: Resource; from: number | null; to: number | null; change: 'lower' | 'higher' }[];
  /** the last valid day (`YYYY-MM-DD`), earlier or later than the current one */
  end: { from: string; to: string; change: 'earlier' | 'later' } | null;
  serverId: { from: string; to: string } | null;
  type: { from: string; to: string } | null;
  edition: { from: string; to: string } | null;
  /** something is lost: the page warns above Apply */
  losses: boolean;
  /** the losses in words, for the warning */
  warnings: string[];
}

const LABEL: Record<Resource, string> = { loc: 'lines of code', users: 'users' };
// an absent limit is unlimited: compare as +∞
const rank = (n: number | null) => (n === null ? Number.POSITIVE_INFINITY : n);
const show = (n: number | null) => (n === null ? 'unlimited' : n.toLocaleString('en-US'));

export function compareLicenses(current: LicensePayload | null, next: LicensePayload): LicenseChanges {
  if (!current) {
    return {
      first: true,
      featuresLost: [],
      featuresGained: [...next.features],
      limits: [],
      end: null,
      serverId: null,
      type: null,
      edition: null,
      losses: false,
      warnings: [],
    };
  }
  const featuresLost = current.features.filter((f) => !next.features.includes(f));
  const featuresGained = next.features.filter((f) => !current.features.includes(f));
  const limits: LicenseChanges['limits'] = [];
  for (const resource of ['loc', 'users'] as const) {
    const from = current.limits[resource] ?? null;
    const to = next.limits[resource] ?? null;
    if (rank(from) !== rank(to)) limits.push({ resource, from, to, change: rank(to) < rank(from) ? 'lower' : 'higher' });
  }
  const fromDay = lastValidDay(current.exp);
  const toDay = lastValidDay(next.exp);
  const end = fromDay === toDay ? null : { from: fromDay, to: toDay, change: toDay < fromDay ? ('earlier' as const) : ('later' as const) };
  const differ = (a: string, b: string) => (a === b ? null : { from: a, to: b });
  const warnings: string[] = [];
  if (featuresLost.length) warnings.push(`Features turned off: ${featuresLost.join(', ')}.`);
  for (const l of limits.filter((x) => x.change === 'lower')) warnings.push(`Lower limit of ${LABEL[l.resource]}: ${show(l.to)} instead of ${show(l.from)}.`);
  if (end?.change === 'earlier') warnings.push(`Ends earlier: valid until ${formatDay(end.to)} instead of ${formatDay(end.from)}.`);
  return {
    first: false,
    featuresLost,
    featuresGained,
    limits,
    end,
    serverId: differ(current.serverId, next.serverId),
    type: differ(current.type, next.type),
    edition: differ(current.edition, next.edition),
    losses: warnings.length > 0,
    warnings,
  };
}
