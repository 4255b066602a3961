/** The kinds of notification the job sends (SPEC 7), plus the administrator's test email. */
export type NotificationKind = 'expiry-2m' | 'expiry-1m' | 'loc-threshold' | 'grace' | 'expired' | 'test' | 'extension';

/**
 * The facts a notification is about, frozen when it becomes due, so that a mail retried the next
 * day still tells what happened (the figures at the crossing, the dates of that license).
 */
export interface NotificationFacts {
  serverId: string;
  lid: string | null;
  licensee: string | null;
  edition: string | null;
  /** ISO date-time of `exp`, or null */
  expiresAt: string | null;
  daysLeft: number | null;
  /** ISO date-time when the grace period ends, or null */
  graceEndsAt: string | null;
  loc: { used: number; limit: number | null; threshold: number; percent: number | null };
  /** ISO date-time when the notification became due */
  at: string;
  /** who asked for a test email */
  actor?: string;
  /** SPEC 22: the self-service extension used: which of how many, N days, who, when and until when (ISO) */
  extension?: { use: number; uses: number; days: number; actor: string; at: string; until: string };
}

/** A notification that is due now and not yet recorded. */
export interface DueNotification {
  /** unique forever: the outbox refuses a second row with the same key */
  dedupKey: string;
  kind: NotificationKind;
  lid: string | null;
  facts: NotificationFacts;
}

/**
 * LOC threshold arming. `armedFor` is the (license, limit, threshold) the current epoch is about;
 * when it changes, or when consumption falls back under the threshold after a notice, the epoch
 * moves on and the next crossing gets a new de-duplication key.
 */
export interface LocArm {
  epoch: number;
  armedFor: string | null;
}

/** A notification as the page, the API and the outbox show it. */
export interface NotificationRow {
  id: number;
  dedupKey: string;
  kind: string;
  status: 'pending' | 'sent' | 'failed';
  recipients: number;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
  attempts: number;
  /** the webhook a delivery went to (SPEC 17.2), as its format and origin; null for mail */
  target: string | null;
}
