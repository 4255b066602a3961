/**
 * What is due (SPEC 7), as one pure function of (status, current key, history, LOC arming, now):
 * no database, no clock, no mail. The outbox turns the result into rows; the unique
 * de-duplication key of each makes "once" hold even if two runs compute the same thing.
 */
import type { LicensePayload } from '../keys/claims.js';
import { graceEnd } from '../keys/claims.js';
import type { LicenseState, LicenseStatus } from '../license/types.js';
import type { DueNotification, LocArm, NotificationFacts, NotificationKind } from './types.js';
import { daysLeftUntil } from '../license/dates.js';

export interface DueInput {
  status: LicenseStatus;
  currentKey: { lid: string; payload: LicensePayload; setAt: Date } | null;
  /** de-duplication keys already recorded (any status) for the current license */
  history: ReadonlySet<string>;
  locArm: LocArm;
  now: Date;
}

export interface DueResult {
  due: DueNotification[];
  /** the arming to store for the next run (equal to the input when nothing moved) */
  locArm: LocArm;
}

/** states in which limits are in force (SPEC 5.1) */
const IN_FORCE: readonly LicenseState[] = ['active', 'expiring', 'grace'];
/** states in which the license has not reached `exp` yet */
const BEFORE_EXP: readonly LicenseState[] = ['active', 'expiring'];

/**
 * Calendar months back, counted in UTC (31 March - 1 month = 28/29 February, time of day kept).
 * NOTE: `exp` is a UTC instant; counting in the process's local time zone would move the reminder
 * dates with the host's TZ.
 */
export function subMonthsUtc(date: Date, months: number): Date {
  const back = new Date(date.getTime());
  back.setUTCDate(1); // so that setting the month never overflows into the next one
  back.setUTCMonth(back.getUTCMonth() - months);
  const lastDay = new Date(Date.UTC(back.getUTCFullYear(), back.getUTCMonth() + 1, 0)).getUTCDate();
  back.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return back;
}

/** The dates of the two expiry reminders of a license that ends at `exp`. */
export function reminderDates(exp: Date): { twoMonths: Date; oneMonth: Date } {
  return { twoMonths: subMonthsUtc(exp, 2), oneMonth: subMonthsUtc(exp, 1) };
}

/** The signature of what a LOC threshold notice is about; a change re-arms it. */
function locSignature(lid: string | null, limit: number | null, threshold: number): string {
  return `${lid ?? '-'}:${limit ?? 'unlimited'}:${threshold}`;
}

function factsOf(input: DueInput, lid: string | null): NotificationFacts {
  const { status, currentKey, now } = input;
  const payload = currentKey?.payload ?? status.license;
  const exp = payload ? new Date(payload.exp * 1000) : null;
  return {
    serverId: status.serverId,
    lid,
    licensee: payload?.licensee ?? null,
    edition: payload?.edition ?? null,
    expiresAt: exp ? exp.toISOString() : null,
    daysLeft: payload ? Math.max(0, daysLeftUntil(payload.exp, now)) : null,
    graceEndsAt: payload ? new Date(graceEnd(payload) * 1000).toISOString() : status.details.graceEndsAt,
    loc: {
      used: status.loc.used,
      limit: status.loc.limit,
      threshold: status.loc.threshold,
      percent: status.loc.percent,
    },
    at: now.toISOString(),
  };
}

/** The expiry reminder due now for this key, if any (before de-duplication). */
function expiryReminder(input: DueInput): NotificationKind | null {
  const { currentKey, status, now } = input;
  if (!currentKey || !BEFORE_EXP.includes(status.state)) return null;
  // SPEC 22: a next license that starts by the end of this one: nothing to remind of
  if (status.next?.covered) return null;
  const exp = new Date(currentKey.payload.exp * 1000);
  if (now >= exp) return null;
  const { twoMonths, oneMonth } = reminderDates(exp);
  if (now >= oneMonth) return 'expiry-1m';
  // NOTE: a key set with less than a month left never gets the two-month reminder. A run that
  // catches up after the one-month date sends only the one-month reminder (above): two mails at
  // once, both saying "N days left", would say the same thing twice.
  if (now >= twoMonths && currentKey.setAt < oneMonth) return 'expiry-2m';
  return null;
}

/**
 * Everything due now and not in `history`, and the LOC arming to keep.
 * @example
 * const { due, locArm } = dueNotifications({ status, currentKey, history, locArm, now });
 */
export function dueNotifications(input: DueInput): DueResult {
  const { status, currentKey, history } = input;
  const lid = currentKey?.lid ?? status.license?.lid ?? null;
  const due: DueNotification[] = [];
  const add = (kind: NotificationKind, dedupKey: string): void => {
    if (!history.has(dedupKey)) due.push({ dedupKey, kind, lid, facts: factsOf(input, lid) });
  };

  const reminder = expiryReminder(input);
  if (reminder && lid) add(reminder, `${reminder}:${lid}`);
  if (lid && status.state === 'grace') add('grace', `grace:${lid}`);
  if (lid && status.state === 'expired') add('expired', `expired:${lid}`);
  // SPEC 22: each use of the self-service extension is told to the administrators and webhooks once
  const ext = status.extension;
  if (lid && ext?.last && ext.lid === lid) {
    const last = ext.last;
    const key = `extension:${lid}:${status.serverId}:${last.use}`;
    if (!history.has(key)) {
      due.push({
        dedupKey: key,
        kind: 'extension',
        lid,
        facts: {
          ...factsOf(input, lid),
          graceEndsAt: last.until,
          extension: { use: last.use, uses: ext.uses, days: last.days, actor: last.actor, at: last.at, until: last.until },
        },
      });
    }
  }

  // LOC threshold: one notice per crossing; the epoch in the key re-arms it.
  const { limit, threshold, used } = status.loc;
  const inForce = lid !== null && IN_FORCE.includes(status.state) && limit !== null;
  const signature = inForce ? locSignature(lid, limit, threshold) : null;
  let locArm = input.locArm;
  if (signature !== locArm.armedFor) locArm = { epoch: locArm.epoch + 1, armedFor: signature };
  if (inForce) {
    const key = `loc-threshold:${signature}:${locArm.epoch}`;
    const over = used >= (limit * threshold) / 100;
    if (over) add('loc-threshold', key);
    else if (history.has(key)) locArm = { epoch: locArm.epoch + 1, armedFor: signature };
  }
  return { due, locArm };
}

/**
 * Kinds of the current license's notifications whose moment has passed: one still pending (held
 * back by an SMTP outage) would mislead if sent late, so it is dropped. The two-month reminder is
 * overtaken by the one-month one, both reminders by `exp`, the grace notice by expiry.
 */
export function overtakenKinds(input: Pick<DueInput, 'status' | 'currentKey' | 'now'>): NotificationKind[] {
  const { status, currentKey, now } = input;
  const kinds: NotificationKind[] = [];
  // SPEC 22: a reminder held back by an outage must not go out once the renewal is installed
  if (currentKey && status.next?.covered) kinds.push('expiry-2m', 'expiry-1m');
  else if (currentKey) {
    const exp = new Date(currentKey.payload.exp * 1000);
    if (now >= reminderDates(exp).oneMonth) kinds.push('expiry-2m');
    if (now >= exp) kinds.push('expiry-1m');
  }
  if (status.state === 'expired') kinds.push('grace');
  return kinds;
}
