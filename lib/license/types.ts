import type { LicensePayload } from '../keys/claims.js';
import type { UsersStatus } from '../usage/users.js';
import type { NextLicense } from './continuity.js';
import type { ExtensionStatus } from './extensions.js';
import type { LicenseSource } from './config-source.js';

export type LicenseState =
  | 'none'
  | 'invalid'
  | 'wrong_server'
  | 'not_yet_valid'
  | 'active'
  | 'expiring'
  | 'grace'
  | 'expired'
  /** withdrawn by the vendor's revocation list (SPEC 18.2): no commercial feature */
  | 'revoked';

export interface Warning {
  code: string;
  message: string;
}

export interface LocStatus {
  used: number;
  /** null = unlimited */
  limit: number | null;
  /** used / limit * 100, rounded to one decimal; null when unlimited */
  percent: number | null;
  /** threshold percent set by administrators (default 90) */
  threshold: number;
  /** true when the license has the true-up tag (limits are soft caps) */
  softCap: boolean;
}

/** What status(), `status --json` and GET api/status return (SPEC 9). */
export interface LicenseStatus {
  serverId: string;
  state: LicenseState;
  /** the current key's payload and where it comes from (SPEC 22: `option`, `env`, `file` or `page`; always set by the snapshot) */
  license: (LicensePayload & { source?: LicenseSource }) | null;
  loc: LocStatus;
  /** users in use against the limit (SPEC 16) */
  users: UsersStatus;
  warnings: Warning[];
  /** SPEC 22: a usable key that starts later than the current one and takes over from it, or null (always set by the snapshot) */
  next?: NextLicense | null;
  /** SPEC 22: the self-service extension of the key in force (or just past its grace), or null without `ext` */
  extension?: ExtensionStatus | null;
  /** Extra facts for the page: days left to exp, staging, grace end, evaluated-at. */
  details: {
    /** days left through `validUntil` (1 on the last day itself) */
    daysLeft: number | null;
    /** `YYYY-MM-DD` (UTC): the last day the license is valid, `exp` − 1 s (SPEC 16) */
    validUntil: string | null;
    /** `YYYY-MM-DD` (UTC): commercial features stay on through this day (end of grace) */
    graceUntil: string | null;
    /** days left through `graceUntil` */
    graceDaysLeft: number | null;
    graceEndsAt: string | null;
    expiresAt: string | null;
    staging: boolean;
    evaluatedAt: string;
    /** server-ID change bridge: the key stays in force until this date */
    bridgeUntil: string | null;
    /** set when the license in force was revoked by the vendor (SPEC 18.2): when, ISO */
    revokedAt?: string;
  };
}

/** A key of the key ring, as the page lists it (the key text itself is not exposed). */
export interface StoredKey {
  id: number;
  lid: string;
  licensee: string;
  type: string;
  edition: string;
  serverId: string;
  exp: number;
  nbf: number;
  setBy: string;
  setAt: string;
  source: 'database' | 'config';
  /** state of this key for this instance now */
  state: LicenseState;
  current: boolean;
  /** retired by an administrator: kept in history, never chosen until made current (SPEC 16) */
  retired: boolean;
}

export interface ProjectUsage {
  project: string;
  branch: string;
  loc: number;
  /** share of the limit in percent, null when unlimited */
  share: number | null;
  lastAnalysisAt: string;
}

export interface ServerIdEvent {
  at: string;
  oldId: string | null;
  newId: string;
  reason: string;
}
