import type { LicensePayload } from '../keys/claims.js';
import { graceEnd } from '../keys/claims.js';
import type { ClockReset } from './clock.js';
import { DAY_MS } from '../time.js';
import type { KeyChoices } from './key-choices.js';
import { daysLeftText, formatDay, graceSentence, keyDates, lastValidDay } from './dates.js';
import { isUsable } from './evaluate.js';
import { selectCurrent, stateOf, type Bridge, type CurrentKey, type Revoked, type RingKey } from './key-ring.js';
import type { LicenseState, LicenseStatus, LocStatus, Warning } from './types.js';
import { usersStatus, usersWarning } from '../usage/users.js';
import type { ExtensionUse } from './extensions.js';
import { extendedWarning, extensionOf, extensionTarget, gapWarning, nextLicense, withExtensionEnds } from './continuity.js';
import { sourceOf, sourceWarnings } from './config-refusal.js';

/**
 * What a refresh reads from the database besides the keys (lib/runtime/facts.ts reads it). To
 * show something new in the snapshot, add a field here, read it there, and use it below.
 */
export interface SnapshotFacts {
  bridges: readonly Bridge[];
  locUsed: number;
  /** how many projects have been analysed (the count beside the page's largest projects) */
  projects?: number;
  threshold: number;
  /** the last `clock-reset`, shown for 30 days */
  clockReset?: ClockReset | null;
  /** the host's last reported user count (SPEC 16), if any */
  users?: { count: number; at: Date };
  /** what metrics read of the job and the outbox (SPEC 17.1): a scrape makes no query */
  operations?: { notificationsPending: number; jobLastSuccessAt: number | null };
  /** retired keys and the key made current by hand (SPEC 16); none when absent */
  keyChoices?: KeyChoices;
  /** license IDs the vendor's revocation list in force withdraws (SPEC 18.2) */
  revoked?: Revoked;
  /** self-service extensions used on this database (SPEC 22); none when absent */
  extensions?: readonly ExtensionUse[];
  /** why the audit log's chain head does not hold (SPEC 21: AUDIT_CHAIN_BROKEN), if it does not */
  auditProblem?: string;
}

export interface SnapshotInput {
  serverId: string;
  keys: readonly RingKey[];
  facts: SnapshotFacts;
  /** the time licenses are judged at (after the clock policy) */
  now: Date;
  /** warnings of the runtime itself (clock, database), shown first */
  warnings?: readonly Warning[];
  /** configuration sources whose latest key was refused while an earlier one stays (SPEC 22) */
  configRefusals?: readonly { label: string; reason: string }[];
}

/** What requests read: no query, no signature check. */
export interface Snapshot {
  status: LicenseStatus;
  current: CurrentKey | null;
  features: ReadonlySet<string>;
  usable: boolean;
}

/** SPEC 15.1: the page shows a clock reset this long */
export const CLOCK_RESET_SHOWN_DAYS = 30;

function stateWarning(state: LicenseState, p: LicensePayload | null, serverId: string, now: Date, problem?: string, graceEndAt?: number): Warning | undefined {
  switch (state) {
    case 'none':
      return { code: 'NO_LICENSE', message: 'No license is installed: commercial features are off. Set a license key to turn them on.' };
    case 'invalid':
      return { code: 'LICENSE_INVALID', message: `The installed license key is not valid: ${problem ?? 'it does not verify'}` };
    case 'wrong_server':
      return {
        code: 'SERVER_ID_MISMATCH',
        message: `The license was issued for server ID ${p!.serverId}, but this server's ID is ${serverId}. Request a key for this server ID.`,
      };
    case 'not_yet_valid':
      return { code: 'LICENSE_NOT_YET_VALID', message: `The license starts on ${formatDay(p!.nbf)}.` };
    case 'expiring': {
      const d = keyDates(p!, now);
      return { code: 'LICENSE_EXPIRING', message: `The license is valid until ${formatDay(d.validUntil)} (${daysLeftText(d.daysLeft)}). Request a renewal.` };
    }
    case 'grace':
      return {
        code: 'LICENSE_GRACE',
        message: `The license was valid until ${formatDay(lastValidDay(p!.exp))}. Grace period: ${graceSentence(keyDates(p!, now, graceEndAt))}. Install a new license.`,
      };
    case 'expired':
      return {
        code: 'LICENSE_EXPIRED',
        message: `The license was valid until ${formatDay(lastValidDay(p!.exp))} and its grace period is over: commercial features are off.`,
      };
    default:
      return undefined;
  }
}

function locStatus(payload: LicensePayload | null, usable: boolean, used: number, threshold: number): LocStatus {
  const limit = usable && payload?.limits.loc !== undefined ? payload.limits.loc : null;
  const percent = limit === null ? null : limit === 0 ? (used > 0 ? 100 : 0) : Math.round((used / limit) * 1000) / 10;
  return { used, limit, percent, threshold, softCap: usable && !!payload?.tags.includes('true-up') };
}

/** Builds the snapshot from the key ring and the facts read at refresh. Pure. */
export function buildSnapshot(input: SnapshotInput): Snapshot {
  // SPEC 22: keys carry the end of grace their self-service extensions gave, for every decision below
  input = { ...input, keys: withExtensionEnds(input.keys, input.facts.extensions, input.serverId) };
  const { serverId, now } = input;
  const { bridges, locUsed, threshold } = input.facts;
  const current = selectCurrent(input.keys, serverId, now, bridges, input.facts.keyChoices, input.facts.revoked);
  const state: LicenseState = current?.state ?? 'none';
  const payload = current?.key.payload ?? null;
  const usable = isUsable(state);
  const warnings: Warning[] = [...(input.warnings ?? [])];
  const reset = input.facts.clockReset;
  if (reset && now.getTime() - reset.at < CLOCK_RESET_SHOWN_DAYS * DAY_MS) {
    warnings.push({
      code: 'CLOCK_RESET',
      message: `The clock mark was reset to ${new Date(reset.at).toISOString()} by ${reset.actor}${reset.from === null ? '' : ` (it was ${new Date(reset.from).toISOString()})`}.`,
    });
  }
  if (input.facts.auditProblem) warnings.push({ code: 'AUDIT_CHAIN_BROKEN', message: input.facts.auditProblem });
  const next = nextLicense(input.keys, serverId, now, input.facts, current);
  const sw = stateWarning(state, payload, serverId, now, current?.key.problem?.message, current?.key.graceEndAt);
  // SPEC 22: a next license that starts by the end of this one: no expiring warning (nor banner)
  if (sw && !(sw.code === 'LICENSE_EXPIRING' && next?.covered)) warnings.push(sw);
  for (const w of [gapWarning(next, current), extendedWarning(current, serverId, input.facts)]) if (w) warnings.push(w);
  const extension = extensionOf(extensionTarget(input.keys, serverId, now, input.facts, current), serverId, now, input.facts);
  const revokedAt = state === 'revoked' && current ? new Date(input.facts.revoked!.get(current.key.lid)! * 1000).toISOString() : undefined;
  if (revokedAt) {
    warnings.push({
      code: 'LICENSE_REVOKED',
      message: `The license ${current!.key.lid} was revoked by the vendor on ${revokedAt.slice(0, 10)}: commercial features are off. Set the license key the vendor sent to replace it.`,
    });
  }
  let bridgeUntil: string | null = null;
  if (current?.bridged) {
    const bridge = bridges.find((b) => b.lid === current.key.lid && b.to === serverId);
    bridgeUntil = bridge ? new Date(bridge.until).toISOString() : null;
    warnings.push({
      code: 'SERVER_ID_CHANGED',
      message: `The server ID changed from ${payload!.serverId} to ${serverId}. The license stays in force until ${bridgeUntil?.slice(0, 10)}: request a key for the new server ID.`,
    });
  }
  const loc = locStatus(payload, usable, locUsed, threshold);
  if (loc.limit !== null && loc.used > loc.limit) {
    warnings.push(
      loc.softCap
        ? {
            code: 'LOC_OVER_LIMIT_SOFT',
            message: `Lines of code (${loc.used}) are over the licensed limit (${loc.limit}); the true-up terms allow it, and the overage will be billed.`,
          }
        : {
            code: 'LOC_OVER_LIMIT',
            message: `Lines of code (${loc.used}) are over the licensed limit (${loc.limit}): new analyses that add code are refused.`,
          },
    );
  } else if (loc.percent !== null && loc.percent >= loc.threshold) {
    warnings.push({ code: 'LOC_OVER_THRESHOLD', message: `Lines of code are at ${loc.percent}% of the licensed limit (threshold ${loc.threshold}%).` });
  }
  const users = usersStatus(payload, usable, input.facts.users);
  const uw = usersWarning(users, loc.softCap);
  if (uw) warnings.push(uw);
  const shadowed =
    current?.key.source === 'config'
      ? input.keys.find((k) => k.source === 'database' && k.lid !== current.key.lid && k.payload && isUsable(stateOfKey(k, input)))
      : undefined;
  if (shadowed) {
    warnings.push({
      code: 'CONFIG_KEY_IN_FORCE',
      message:
        'The license given by configuration (licenseKey, LICENSE_KEY or LICENSE_KEY_FILE) stays in force over keys set on this page; remove it from the configuration to use them.',
    });
  }
  warnings.push(...sourceWarnings(input, current));
  const dates = payload ? keyDates(payload, now, current?.key.graceEndAt) : null;
  const license =
    payload && current
      ? deepFreeze({ ...payload, features: [...payload.features], tags: [...payload.tags], limits: { ...payload.limits }, source: sourceOf(current.key) })
      : null;
  return deepFreeze({
    current,
    usable,
    features: new Set(usable && payload ? payload.features : []),
    status: {
      serverId,
      state,
      license,
      loc,
      users,
      warnings,
      next,
      extension,
      details: {
        // SPEC 16: one date convention (lib/license/dates.ts)
        daysLeft: dates ? dates.daysLeft : null,
        validUntil: dates ? dates.validUntil : null,
        graceUntil: dates ? dates.graceUntil : null,
        graceDaysLeft: dates ? dates.graceDaysLeft : null,
        expiresAt: payload ? new Date(payload.exp * 1000).toISOString() : null,
        graceEndsAt: payload ? new Date(Math.max(graceEnd(payload), current?.key.graceEndAt ?? 0) * 1000).toISOString() : null,
        // a dormant staging key (wrong_server) does not make this instance a staging one
        staging: payload?.type === 'staging' && state !== 'wrong_server',
        evaluatedAt: now.toISOString(),
        bridgeUntil,
        ...(revokedAt ? { revokedAt } : {}),
      },
    },
  });
}

function stateOfKey(key: RingKey, input: SnapshotInput): LicenseState {
  return stateOf(key, input.serverId, input.now, input.facts.bridges, input.facts.revoked).state;
}

/** Callers get the snapshot itself (no copy on the hot path), so nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
