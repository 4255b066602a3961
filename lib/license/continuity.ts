/**
 * Continuity without the vendor (SPEC 22), pure: the self-service extension of the key in force
 * and the renewal hand-off to the next license. buildSnapshot calls these; the snapshot carries
 * their outcome as `status().extension` and `status().next`.
 */
import { DAY_SECONDS } from '../time.js';
import { boundToServer, isUsable } from './evaluate.js';
import { extendedGraceEnd, extensionOffer, extensionStatus, usesOf, type ExtensionStatus, type ExtensionUse } from './extensions.js';
import { NO_CHOICES, type KeyChoices } from './key-choices.js';
import { rankStored, selectCurrent, stateOf, type Bridge, type CurrentKey, type Revoked, type RingKey } from './key-ring.js';
import { formatDay, lastValidDay } from './dates.js';
import type { Warning } from './types.js';

export interface ContinuityFacts {
  bridges: readonly Bridge[];
  keyChoices?: KeyChoices;
  revoked?: Revoked;
  extensions?: readonly ExtensionUse[];
}

/** `status().next`: a usable key that starts later than the current one (SPEC 22). */
export interface NextLicense {
  lid: string;
  licensee: string;
  type: string;
  edition: string;
  /** `YYYY-MM-DD` (UTC) it starts, and the last day it is valid (SPEC 16's convention) */
  validFrom: string;
  validUntil: string;
  /** ISO instants of its `nbf` and `exp` */
  startsAt: string;
  expiresAt: string;
  /** true when it starts no later than the current license ends: no reminder, no expiring banner */
  covered: boolean;
  /** whole days without a license between the current one's end and this one's start (0 when covered) */
  gapDays: number;
}

/** Keys with the end of grace their extensions on this server give (new objects; the ring is not changed). */
export function withExtensionEnds(keys: readonly RingKey[], uses: readonly ExtensionUse[] | undefined, serverId: string): readonly RingKey[] {
  if (!uses || uses.length === 0) return keys;
  return keys.map((k) => {
    const own = k.payload ? usesOf(uses, k.lid, serverId) : [];
    return own.length > 0 && k.payload ? { ...k, graceEndAt: extendedGraceEnd(k.payload, own) } : k;
  });
}

/**
 * The key a self-service extension applies to: the key in force; when none is usable, the newest
 * key of this server whose extension window is still open (a license just past its grace, even
 * when a later key that has not started yet would otherwise be shown).
 */
export function extensionTarget(keys: readonly RingKey[], serverId: string, now: Date, facts: ContinuityFacts, current: CurrentKey | null): RingKey | null {
  if (current?.key.payload && isUsable(current.state)) return current.key;
  const ordered = [...keys.filter((k) => k.source === 'config'), ...rankStored(keys, facts.keyChoices ?? NO_CHOICES)];
  for (const key of ordered) {
    if (!key.payload?.ext) continue;
    const { state, bridged } = stateOf(key, serverId, now, facts.bridges, facts.revoked);
    if (state !== 'expired' || !(bridged || boundToServer(key.payload, serverId))) continue;
    if (extensionOffer(key.payload, usesOf(facts.extensions ?? [], key.lid, serverId), now).refusal !== 'too_late') return key;
  }
  return current?.key ?? null;
}

/** `status().extension`: the extension of the key it applies to, or null when that key has no `ext`. */
export function extensionOf(target: RingKey | null, serverId: string, now: Date, facts: ContinuityFacts): ExtensionStatus | null {
  if (!target?.payload) return null;
  return extensionStatus(target.lid, target.payload, usesOf(facts.extensions ?? [], target.lid, serverId), now);
}

/** The banner of an extension in use: who, when, until when, and that the vendor sees it. */
export function extendedWarning(current: CurrentKey | null, serverId: string, facts: ContinuityFacts): Warning | undefined {
  if (!current?.key.payload || !isUsable(current.state)) return undefined;
  const uses = usesOf(facts.extensions ?? [], current.key.lid, serverId);
  const last = uses[uses.length - 1];
  if (!last) return undefined;
  const allowed = current.key.payload.ext?.uses ?? uses.length;
  return {
    code: 'LICENSE_EXTENDED',
    message:
      `The license was extended by ${last.days} day${last.days === 1 ? '' : 's'} by ${last.actor} on ${formatDay(new Date(last.at))} (self-service extension ${last.use} of ${allowed}): ` +
      `commercial features stay on through ${formatDay(lastValidDay(last.graceEndAfter))}. Your vendor sees this in your next usage report.`,
  };
}

/**
 * The next license: the key that takes over when the current one is no longer the one in force
 * — at its own start, or at the current key's end when the current key was made current by hand.
 * Found by asking the selection itself at those moments, so it is never a key that would not
 * actually take over (retired, revoked, another server, ranked below the current one).
 */
export function nextLicense(keys: readonly RingKey[], serverId: string, now: Date, facts: ContinuityFacts, current: CurrentKey | null): NextLicense | null {
  const cur = current?.key.payload;
  if (!current || !cur || !isUsable(current.state)) return null;
  const t = Math.floor(now.getTime() / 1000);
  const retired = facts.keyChoices?.retired ?? new Set<string>();
  const candidates = keys
    .filter((k) => k.payload && k.lid !== current.key.lid && k.payload.nbf > t && k.payload.nbf > cur.nbf && boundToServer(k.payload, serverId))
    .filter((k) => !facts.revoked?.has(k.lid) && !(k.source === 'database' && retired.has(k.lid)))
    .sort((a, b) => a.payload!.nbf - b.payload!.nbf);
  if (candidates.length === 0) return null;
  const at = (seconds: number) => selectCurrent(keys, serverId, new Date(seconds * 1000), facts.bridges, facts.keyChoices, facts.revoked);
  const ids = new Set(candidates.map((k) => k.lid));
  let next = candidates.find((k) => at(k.payload!.nbf)?.key.lid === k.lid);
  if (!next) {
    const end = Math.max(extendedGraceEnd(cur, []), current.key.graceEndAt ?? 0);
    const after = at(end);
    next = after && isUsable(after.state) && ids.has(after.key.lid) ? after.key : undefined;
  }
  if (!next?.payload) return null;
  const p = next.payload;
  const gapDays = p.nbf > cur.exp ? Math.ceil((p.nbf - cur.exp) / DAY_SECONDS) : 0;
  return {
    lid: next.lid,
    licensee: p.licensee,
    type: p.type,
    edition: p.edition,
    validFrom: new Date(p.nbf * 1000).toISOString().slice(0, 10),
    validUntil: lastValidDay(p.exp),
    startsAt: new Date(p.nbf * 1000).toISOString(),
    expiresAt: new Date(p.exp * 1000).toISOString(),
    covered: p.nbf <= cur.exp,
    gapDays,
  };
}

/** The warning of a gap between the current license and the next: the days without a license. */
export function gapWarning(next: NextLicense | null, current: CurrentKey | null): Warning | undefined {
  const cur = current?.key.payload;
  if (!next || next.covered || !cur) return undefined;
  const first = lastValidDay(cur.exp + 1);
  const last = lastValidDay(Math.floor(Date.parse(next.startsAt) / 1000));
  const days =
    next.gapDays === 1 ? `1 day without a license (${formatDay(first)})` : `${next.gapDays} days without a license (${formatDay(first)} to ${formatDay(last)})`;
  return {
    code: 'LICENSE_GAP',
    message:
      `The current license is valid until ${formatDay(lastValidDay(cur.exp))} and the next one starts on ${formatDay(next.validFrom)}: ${days}. ` +
      'Ask your vendor to move the start of the next license, or for a key that covers those days.',
  };
}
