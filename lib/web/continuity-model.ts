/**
 * The page's part of SPEC 22: the self-service extension (its offer, the confirmation step and
 * why it is not available) and the "Next license" block. Formatted here; the template
 * (views/partials/continuity.ejs) only lays it out and escapes it.
 */
import type { LicenseStatus } from '../license/types.js';
import { lastValidDay } from '../license/dates.js';
import { formatDate, formatDateTime } from './format.js';

/** The Extend form's state: `confirm` shows the confirmation step; `error` a refusal next to it. */
export type ExtendForm = { confirm: true } | { error: string; code: string };

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

export function continuityModel(s: LicenseStatus, form: ExtendForm | undefined) {
  const e = s.extension ?? null;
  const n = s.next ?? null;
  const extension = e && {
    days: e.days,
    label: `Extend by ${days(e.days)}`,
    available: e.available,
    use: e.used + 1,
    left: e.uses - e.used,
    summary:
      `This license allows ${e.uses === 1 ? 'one self-service extension' : `${e.uses} self-service extensions`} of ${days(e.days)} on this server, ` +
      `from the start of its grace period until 3 days after it ends; ${e.used === 0 ? 'none used yet' : `${e.used} used`}.`,
    reason: e.available ? null : e.reason,
    until: e.wouldExtendTo ? formatDate(lastValidDay(Date.parse(e.wouldExtendTo) / 1000)) : null,
    last: e.last && {
      text: `Extension ${e.last.use} of ${e.uses} was used by ${e.last.actor} on ${formatDateTime(e.last.at)}: commercial features stay on through ${formatDate(lastValidDay(Date.parse(e.last.until) / 1000))}.`,
    },
    confirming: e.available && form !== undefined && 'confirm' in form,
    error: form && 'error' in form ? form.error : null,
  };
  const next = n && {
    licensee: n.licensee,
    type: n.type,
    edition: n.edition,
    starts: formatDate(n.validFrom),
    validUntil: formatDate(n.validUntil),
    covered: n.covered,
    note: n.covered
      ? 'It takes over by itself on its first day, on every node: no reminder is sent for the current license.'
      : `It starts ${days(n.gapDays)} after the current license ends: see the warning above.`,
  };
  return { extension, next };
}

export type ContinuityModel = ReturnType<typeof continuityModel>;
