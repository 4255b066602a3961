/**
 * The writes of the host API and the page, each `runtime.write(work)`: verify and check first
 * (bad input changes nothing), then one write, then the refresh that makes it visible.
 */
import { LicenseError } from '../errors.js';
import { verifyWith } from '../keys/verify.js';
import { checkAcceptable } from '../license/key-ring.js';
import { storeKey } from '../license/key-store.js';
import type { LicenseStatus } from '../license/types.js';
import { readSetting, writeSetting } from '../store/settings.js';
import { auditedTransaction, auditRefusal } from '../audit/index.js';
import { DEFAULT_THRESHOLD } from './facts.js';
import * as loc from '../usage/loc.js';
import { decideLimit, type LimitDecision } from '../usage/limits.js';
import { checkUserCount, recordUsers } from '../usage/users.js';
import type { Runtime } from './runtime.js';

export interface Actor {
  actor?: string;
}

const actorOf = (o: Actor): string => o.actor ?? 'administrator';

/** SPEC 5.2: verify → evaluate → store → new snapshot; a refused key stores nothing. */
export async function setLicense(rt: Runtime, key: string, options: Actor = {}): Promise<LicenseStatus> {
  try {
    const verified = await verifyWith(key, rt.trusted);
    return await rt.write(async ({ knex, serverId, now }) => {
      // NOTE: with a clock gone back, the trusted time judges expiry and orders the history.
      checkAcceptable(verified.payload, serverId, now);
      // the key and its audit entry commit together (SPEC 17.3)
      await auditedTransaction(knex, async (trx) => {
        await storeKey(trx, verified.compact, verified.payload, actorOf(options), now);
        return { at: now, actor: actorOf(options), action: 'license_set', detail: { lid: verified.payload.lid } };
      });
      rt.logger.info('License key set', { lid: verified.payload.lid, actor: actorOf(options) });
    });
  } catch (err) {
    await auditRefusal(rt.knex, rt.logger, rt.time(), actorOf(options), err);
    throw err;
  }
}

export async function setLocThreshold(rt: Runtime, percent: number, options: Actor = {}): Promise<LicenseStatus> {
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'The threshold must be a whole percentage from 1 to 100.', data: { field: 'percent' } });
  }
  return rt.write(({ knex, now }) =>
    auditedTransaction(knex, async (trx) => {
      const from = (await readSetting<number>(trx, 'loc_threshold')) ?? DEFAULT_THRESHOLD;
      await writeSetting(trx, 'loc_threshold', percent);
      return { at: now, actor: actorOf(options), action: 'threshold_changed', detail: { from, to: percent } };
    }),
  );
}

export function recordAnalysis(rt: Runtime, analysis: loc.Analysis): Promise<LicenseStatus> {
  return rt.write(({ knex, dialect, now }) => loc.recordAnalysis(knex, dialect, analysis, now));
}

export function removeProject(rt: Runtime, project: string): Promise<LicenseStatus> {
  return rt.write(({ knex, dialect }) => loc.removeProject(knex, dialect, project));
}

export function removeBranch(rt: Runtime, project: string, branch: string): Promise<LicenseStatus> {
  return rt.write(({ knex, dialect }) => loc.removeBranch(knex, dialect, project, branch));
}

/** SPEC 16: the host's count of active users, shared by the cluster and kept in the daily snapshot. */
export function reportUsers(rt: Runtime, count: number): Promise<LicenseStatus> {
  checkUserCount(count);
  return rt.write(({ knex, now }) => recordUsers(knex, count, now));
}

/**
 * Decides the count against `limits.users` (SPEC 6) and, when it is allowed (a soft cap too),
 * records it like reportUsers: a count refused by a hard cap was never in use.
 */
export async function checkUsers(rt: Runtime, count: number): Promise<LimitDecision> {
  checkUserCount(count);
  const decision = decideLimit('users', count, rt.status(), rt.snapshot!.usable);
  await reportUsers(rt, count);
  return decision;
}
