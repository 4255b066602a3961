/**
 * The rules of the trade (SPEC 11), each a pure function of the facts and the injected `now`.
 * The registry reads the facts, calls these, then writes; nothing here touches the database.
 */
import { VendorError } from '../errors.js';
import { LicenseError } from 'license-manager/formats';
import { SERVER_ID_PATTERN, graceEnd } from 'license-manager/formats';
import { endOfDayUtc } from 'license-manager/formats';
import { registryMessages as m } from './messages.js';
import { DAY_MS } from 'license-manager/formats';

/** An emergency license may be issued up to this long after the last license's grace period ended. */
export const EMERGENCY_WINDOW_MS = 3 * DAY_MS;
/** Plans that are not paid (compared case-insensitively); every other plan is. */
export const UNPAID_PLANS: readonly string[] = ['free', 'trial'];

export function isPaidPlan(plan: string): boolean {
  return !UNPAID_PLANS.includes(plan.trim().toLowerCase());
}

/** A pasted server ID, trimmed and upper-cased, or VALIDATION_FAILED. */
export function normaliseServerId(serverId: string): string {
  const id = serverId.trim().toUpperCase();
  if (!SERVER_ID_PATTERN.test(id)) throw new LicenseError('VALIDATION_FAILED', { detail: m.serverIdInvalid(serverId), data: { serverId } });
  return id;
}

/** The dataset part of a server ID: what a production→staging copy keeps (SPEC 4, 5.3). */
export function datasetPart(serverId: string): string {
  return serverId.slice(serverId.indexOf('-') + 1);
}

/** `exp` of a subscription's keys: the midnight UTC that ends its contract's last day. */
export function contractExp(ends: string): number {
  return endOfDayUtc(ends);
}

/** A key issued after the contract ended would be born expired: refused with VALIDATION_FAILED. */
export function checkContractRunning(sub: { id: string; ends: string }, now: Date): void {
  if (contractExp(sub.ends) * 1000 <= now.getTime()) {
    throw new LicenseError('VALIDATION_FAILED', { detail: m.contractEnded(sub.id, sub.ends), data: { subscription: sub.id, ends: sub.ends } });
  }
}

/** An archived subscription issues nothing more. */
export function checkNotArchived(sub: { id: string; archivedAt: Date | null }): void {
  if (sub.archivedAt !== null) throw new LicenseError('VALIDATION_FAILED', { detail: m.subscriptionArchived(sub.id), data: { subscription: sub.id } });
}

/**
 * The last valid day of a subscription key: the contract end by default. A production key ends
 * exactly there (SPEC 11); a staging key may end earlier, never later. Resolves to `YYYY-MM-DD`.
 */
export function checkExpiry(sub: { id: string; ends: string }, type: 'production' | 'staging', expires: string | undefined): string {
  if (expires === undefined || expires === '' || expires === sub.ends) return sub.ends;
  endOfDayUtc(expires); // a TypeError for anything but a real day
  if (type === 'production' || contractExp(expires) > contractExp(sub.ends)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: m.expiryNotContract(sub.id, sub.ends, expires, type),
      data: { subscription: sub.id, ends: sub.ends, expires },
    });
  }
  return expires;
}

/**
 * One subscription is one production instance: a production key for another server ID than the
 * bound one is SUBSCRIPTION_INSTANCE_TAKEN naming both; the same server ID (a renewal) is fine.
 */
export function checkProductionInstance(sub: { id: string; productionServerId: string | null }, serverId: string): void {
  if (sub.productionServerId !== null && sub.productionServerId !== serverId) {
    throw new VendorError('SUBSCRIPTION_INSTANCE_TAKEN', {
      detail: m.instanceTaken(sub.id, sub.productionServerId, serverId),
      data: { subscription: sub.id, productionServerId: sub.productionServerId, serverId },
    });
  }
}

/**
 * Each instance has its own subscription: a production key for a server ID that is the production
 * instance of another subscription whose contract is still running is SUBSCRIPTION_INSTANCE_TAKEN.
 * Once that contract has ended the instance may move to a new subscription (a new contract, a
 * plan change); to move earlier, end the old contract first.
 */
export function checkInstanceFree(subscription: string, serverId: string, others: readonly { id: string; ends: string }[], now: Date): void {
  const holder = others.find((o) => o.id !== subscription && contractExp(o.ends) * 1000 > now.getTime());
  if (holder) {
    throw new VendorError('SUBSCRIPTION_INSTANCE_TAKEN', {
      detail: m.instanceHasSubscription(serverId, holder.id, holder.ends),
      data: { subscription, serverId, heldBy: holder.id },
    });
  }
}

/**
 * Staging keys only for a server ID that shares the production's dataset part and is not the
 * production itself. Another dataset part is SERVER_ID_MISMATCH naming both IDs, as an instance
 * says for such a key (SPEC 5.3); no production yet, or the production's own ID, is VALIDATION_FAILED.
 */
export function checkStagingServerId(sub: { id: string; productionServerId: string | null }, serverId: string): void {
  const production = sub.productionServerId;
  if (production === null) {
    throw new LicenseError('VALIDATION_FAILED', { detail: m.stagingWithoutProduction(sub.id), data: { subscription: sub.id, serverId } });
  }
  if (production === serverId) {
    throw new LicenseError('VALIDATION_FAILED', { detail: m.stagingIsProduction(serverId), data: { subscription: sub.id, serverId } });
  }
  if (datasetPart(production) !== datasetPart(serverId)) {
    throw new LicenseError('SERVER_ID_MISMATCH', {
      detail: m.stagingMismatch(serverId, production),
      data: { subscription: sub.id, productionServerId: production, serverId },
    });
  }
}

/** What the emergency rule needs to know about an account. */
export interface EmergencyFacts {
  account: string;
  /** Plans of every subscription of the account. */
  plans: string[];
  /** A prospect (not a customer yet) never gets an emergency license. */
  prospect?: boolean;
  /** The license an emergency key restores: the account's last production license of a paid subscription, if any. */
  lastLicense: { lid: string; exp: number; grace?: number | null } | null;
  /** Whether the account was ever issued a license at all (a staging or trial key, say), to say why nothing is restored. */
  anyLicense?: boolean;
}

/** When the grace period of a license ends: `exp` plus its grace days (default 14). */
export function graceEndsAt(license: { exp: number; grace?: number | null }): Date {
  return new Date(graceEnd({ exp: license.exp, grace: license.grace ?? undefined }) * 1000);
}

/** The last day (UTC) before an exclusive end: what people read (issue 23.6). */
const day = (end: Date) => new Date(end.getTime() - 1000).toISOString().slice(0, 10);

/**
 * SPEC 11: an emergency license only for an account with a paid plan whose last license's grace
 * period ended within the last 3 days (3 days to the millisecond inclusive). Throws
 * EMERGENCY_NOT_ELIGIBLE naming the rule that failed in `data.rule`:
 * `prospect`, `no_paid_plan`, `no_license`, `nothing_to_restore`, `still_usable` or `grace_ended_too_long_ago`.
 *
 * NOTE: emergency licenses do not count as "the last license": otherwise each 10-day key, ending
 * with grace 0, would make the account eligible for the next one, for ever.
 */
export function checkEmergencyEligible(facts: EmergencyFacts, now: Date): { graceEndedAt: Date } {
  const refuse = (rule: string, detail: string, data: Record<string, unknown> = {}) =>
    new VendorError('EMERGENCY_NOT_ELIGIBLE', { detail, data: { rule, account: facts.account, ...data } });
  if (facts.prospect) throw refuse('prospect', m.emergencyProspect(facts.account));
  if (!facts.plans.some(isPaidPlan)) throw refuse('no_paid_plan', m.emergencyNoPaidPlan(facts.account, facts.plans), { plans: facts.plans });
  const last = facts.lastLicense;
  if (!last)
    throw refuse(
      facts.anyLicense ? 'nothing_to_restore' : 'no_license',
      facts.anyLicense ? m.emergencyNothingToRestore(facts.account) : m.emergencyNoLicense(facts.account),
    );
  const graceEndedAt = graceEndsAt(last);
  if (now.getTime() < graceEndedAt.getTime()) {
    throw refuse('still_usable', m.emergencyStillUsable(facts.account, last.lid, day(graceEndedAt)), {
      lid: last.lid,
      graceEndsAt: graceEndedAt.toISOString(),
    });
  }
  if (now.getTime() - graceEndedAt.getTime() > EMERGENCY_WINDOW_MS) {
    throw refuse('grace_ended_too_long_ago', m.emergencyTooLate(facts.account, last.lid, day(graceEndedAt)), {
      lid: last.lid,
      graceEndedAt: graceEndedAt.toISOString(),
    });
  }
  return { graceEndedAt };
}
