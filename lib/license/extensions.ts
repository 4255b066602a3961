/**
 * Self-service extensions (SPEC 22), pure: what a key's `ext` claim allows on this server, when,
 * and where each use moves the end of grace. The uses themselves are rows of
 * `license_extensions` (extension-store.ts), read at every refresh like the other facts.
 *
 * Choices where the SPEC is silent:
 * - a use moves the end of grace to N days after the later of (the end of grace so far, the
 *   moment of use): used during grace it adds N days to the grace period; used in the 3 days
 *   after grace ended it gives N days from that moment. "Extend by N days" always means N more.
 * - the new end is rounded up to the next midnight UTC, so "commercial features stay on through
 *   <day>" (SPEC 16's one date convention) is true to the end of that day.
 * - the window is judged against the end of grace as extended so far, so the next use (when the
 *   key allows more than one) is offered from the moment the previous one was used.
 */
import { graceEnd, type LicensePayload } from '../keys/claims.js';
import { DAY_SECONDS } from '../time.js';
import { formatDay, lastValidDay } from './dates.js';

/** SPEC 22: the offer stays open this long after the end of grace (the weekend emergency window). */
export const EXTENSION_WINDOW_AFTER_DAYS = 3;

/** One recorded use of a key's extension on one server. */
export interface ExtensionUse {
  lid: string;
  serverId: string;
  /** 1, 2 or 3: the unique (lid, serverId, use) makes two nodes agree on one use */
  use: number;
  days: number;
  /** when it was used, Unix ms */
  at: number;
  actor: string;
  /** the end of grace before and after this use, Unix seconds */
  graceEndBefore: number;
  graceEndAfter: number;
}

/** What `status().extension` says of the key the extension would apply to. */
export interface ExtensionStatus {
  lid: string;
  /** days per use and uses the key allows (its `ext` claim) */
  days: number;
  uses: number;
  /** uses recorded for this key on this server */
  used: number;
  /** whether "Extend by N days" can be used now */
  available: boolean;
  /** why not, a sentence; null when available */
  reason: string | null;
  /** the window of the next use, ISO: from the start of grace to 3 days after its end */
  windowFrom: string;
  windowUntil: string;
  /** the end of grace a use now would give, ISO (null when not available) */
  wouldExtendTo: string | null;
  /** the latest use, if any: who, when (ISO), and the end of grace it gave (ISO) */
  last: { use: number; days: number; actor: string; at: string; until: string } | null;
}

const midnightAfter = (seconds: number): number => Math.ceil(seconds / DAY_SECONDS) * DAY_SECONDS;

/** The uses of one key on one server, in order. */
export function usesOf(all: readonly ExtensionUse[], lid: string, serverId: string): ExtensionUse[] {
  return all.filter((u) => u.lid === lid && u.serverId === serverId).sort((a, b) => a.use - b.use);
}

/** The end of grace (Unix seconds) with every use so far; the key's own when none. */
export function extendedGraceEnd(payload: Pick<LicensePayload, 'exp' | 'grace'>, uses: readonly ExtensionUse[]): number {
  return Math.max(graceEnd(payload), ...uses.map((u) => u.graceEndAfter));
}

/** Where one more use at `now` moves the end of grace (Unix seconds). */
export function nextGraceEnd(currentEnd: number, days: number, now: Date): number {
  const t = Math.floor(now.getTime() / 1000);
  return midnightAfter(Math.max(currentEnd, t) + days * DAY_SECONDS);
}

export type ExtensionRefusal = 'no_ext' | 'too_early' | 'too_late' | 'spent';

/**
 * Whether the key's extension can be used at `now`, and why not. Pure.
 * @example
 * const offer = extensionOffer(payload, usesOf(all, lid, serverId), now);
 * if (!offer.available) throw new LicenseError('EXTENSION_NOT_AVAILABLE', { detail: offer.reason });
 */
export function extensionOffer(
  payload: LicensePayload,
  uses: readonly ExtensionUse[],
  now: Date,
): {
  available: boolean;
  refusal: ExtensionRefusal | null;
  reason: string | null;
  end: number;
  windowFrom: number;
  windowUntil: number;
  newEnd: number | null;
} {
  const end = extendedGraceEnd(payload, uses);
  const windowFrom = payload.exp;
  const windowUntil = end + EXTENSION_WINDOW_AFTER_DAYS * DAY_SECONDS;
  const t = Math.floor(now.getTime() / 1000);
  const base = { end, windowFrom, windowUntil };
  const no = (refusal: ExtensionRefusal, reason: string) => ({ ...base, available: false, refusal, reason, newEnd: null });
  const ext = payload.ext;
  if (!ext) return no('no_ext', 'The license key in force does not include a self-service extension: ask your vendor for a renewed or an emergency key.');
  if (uses.length >= ext.uses) {
    const last = uses[uses.length - 1];
    const by = last ? ` (the last one by ${last.actor} on ${formatDay(new Date(last.at))})` : '';
    return no(
      'spent',
      `Every self-service extension this license allows has been used on this server: ${ext.uses} of ${ext.uses}${by}. Ask your vendor for a new key.`,
    );
  }
  if (t < windowFrom) {
    return no(
      'too_early',
      `A self-service extension can be used from the start of the grace period, ${formatDay(lastValidDay(windowFrom + 1))}, until ${EXTENSION_WINDOW_AFTER_DAYS} days after it ends; the license is still valid until then.`,
    );
  }
  if (t >= windowUntil) {
    return no(
      'too_late',
      `A self-service extension could be used until ${formatDay(lastValidDay(windowUntil))}, ${EXTENSION_WINDOW_AFTER_DAYS} days after the grace period ended; that window has closed. Ask your vendor for a new key.`,
    );
  }
  return { ...base, available: true, refusal: null, reason: null, newEnd: nextGraceEnd(end, ext.days, now) };
}

/** `status().extension` for a key with `ext`, or null for a key without it. Pure. */
export function extensionStatus(lid: string, payload: LicensePayload, uses: readonly ExtensionUse[], now: Date): ExtensionStatus | null {
  if (!payload.ext) return null;
  const offer = extensionOffer(payload, uses, now);
  const last = uses[uses.length - 1];
  const iso = (s: number) => new Date(s * 1000).toISOString();
  return {
    lid,
    days: payload.ext.days,
    uses: payload.ext.uses,
    used: uses.length,
    available: offer.available,
    reason: offer.reason,
    windowFrom: iso(offer.windowFrom),
    windowUntil: iso(offer.windowUntil),
    wouldExtendTo: offer.newEnd === null ? null : iso(offer.newEnd),
    last: last ? { use: last.use, days: last.days, actor: last.actor, at: new Date(last.at).toISOString(), until: iso(last.graceEndAfter) } : null,
  };
}
