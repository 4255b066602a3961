import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import type { LicensePayload } from '../keys/claims.js';
import { readSetting, writeSetting } from '../store/settings.js';

/** Users in use against the limit (SPEC 16): `status().users`. */
export interface UsersStatus {
  /** the host's last reported count of active users; 0 until it reports one */
  used: number;
  /** null = unlimited (or no license in force) */
  limit: number | null;
  /** when the host last reported (ISO), null if never */
  reportedAt: string | null;
}

const SETTING = 'users_in_use';
interface Reported {
  count: number;
  at: number;
}

/** A host's user count: a whole number from 0 to 10^12, else VALIDATION_FAILED. */
export function checkUserCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > 1e12) {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'The user count must be a whole number of 0 or more.', data: { field: 'count' } });
  }
  return count;
}

/** Stores the count shared by the cluster; every node's next refresh shows it. */
export async function recordUsers(knex: Knex, count: number, at: Date): Promise<void> {
  await writeSetting(knex, SETTING, { count: checkUserCount(count), at: at.getTime() } satisfies Reported);
}

export async function reportedUsers(knex: Knex): Promise<{ count: number; at: Date } | undefined> {
  const r = await readSetting<Reported>(knex, SETTING);
  return r ? { count: r.count, at: new Date(r.at) } : undefined;
}

/** Pure: the users figure of the snapshot. */
export function usersStatus(payload: LicensePayload | null, usable: boolean, reported: { count: number; at: Date } | undefined): UsersStatus {
  return {
    used: reported?.count ?? 0,
    limit: usable && payload?.limits.users !== undefined ? payload.limits.users : null,
    reportedAt: reported ? reported.at.toISOString() : null,
  };
}

/** Pure: the status warning when users are over the limit. */
export function usersWarning(users: UsersStatus, softCap: boolean): { code: string; message: string } | undefined {
  if (users.limit === null || users.used <= users.limit) return undefined;
  return softCap
    ? {
        code: 'USERS_OVER_LIMIT_SOFT',
        message: `Users (${users.used}) are over the licensed limit (${users.limit}); the true-up terms allow it, and the overage will be billed.`,
      }
    : { code: 'USERS_OVER_LIMIT', message: `Users (${users.used}) are over the licensed limit (${users.limit}).` };
}
