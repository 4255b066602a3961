/**
 * The writes of the host API and the page, each `runtime.write(work)`: verify and check first
 * (bad input changes nothing), then one write, then the refresh that makes it visible.
 */
import { isLicenseError, LicenseError } from '../errors.js';
import { EXTENSION_USES } from '../keys/claims.js';
import { extensionOffer, usesOf, type ExtensionUse } from '../license/extensions.js';
import { insertExtension, readExtensions } from '../license/extension-store.js';
import { extensionTarget, withExtensionEnds, type ContinuityFacts } from '../license/continuity.js';
import { verifyWith } from '../keys/verify.js';
import { checkAcceptable, evaluable, selectCurrent, stateOf } from '../license/key-ring.js';
import { storeKey } from '../license/key-store.js';
import type { LicenseStatus } from '../license/types.js';
import { readSetting, writeSetting } from '../store/settings.js';
import { actorName, auditedTransaction, auditRefusal } from '../audit/index.js';
import { DEFAULT_THRESHOLD } from './facts.js';
import * as loc from '../usage/loc.js';
import { decideLimit, type LimitDecision } from '../usage/limits.js';
import { checkUserCount, recordUsers } from '../usage/users.js';
import { refuseRevoked } from '../revocations/service.js';
import type { Runtime } from './runtime.js';
import { chooseKey, retireKey as markRetired, unretire } from '../license/key-choices.js';
import { isUsable } from '../license/evaluate.js';

export interface Actor {
  actor?: string;
}

/** A name for the log and the stored key, never an address (a host may pass an email). */
const actorOf = (o: Actor): string => actorName(o.actor ?? 'administrator');

/**
 * SPEC 5.2, 15.3: verify → evaluate → store → new snapshot; a refused key stores nothing. The
 * same key set again adds no row and becomes current again.
 */
export async function setLicense(rt: Runtime, key: string, options: Actor = {}): Promise<LicenseStatus> {
  rt.assertWritable(); // before the key is judged: a refused key is a write too (the audit log)
  try {
    const verified = await verifyWith(key, rt.trusted);
    evaluable(verified.payload);
    return await rt.write(async ({ knex, serverId, now }) => {
      // NOTE: with a clock gone back, the trusted time judges expiry and orders the history.
      checkAcceptable(verified.payload, serverId, now);
      await refuseRevoked(knex, verified.payload.lid);
      // the key and its audit entry commit together (SPEC 17.3)
      let added = true;
      await auditedTransaction(knex, async (trx) => {
        ({ added } = await storeKey(trx, verified.compact, verified.payload, actorOf(options), now));
        if (rt.facts?.keyChoices?.retired.has(verified.payload.lid)) await unretire(trx, verified.payload.lid);
        return { at: now, actor: actorOf(options), action: 'license_set', detail: { lid: verified.payload.lid } };
      });
      rt.logger.info(added ? 'License key set' : 'License key set again: current again', { lid: verified.payload.lid, actor: actorOf(options) });
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
  // a node older than its database still decides (a read); the count is left to upgraded nodes (SPEC 24)
  if (rt.readOnly) return decision;
  await reportUsers(rt, count);
  return decision;
}

/** A stored key by its license ID, or VALIDATION_FAILED naming it. */
function storedKey(rt: Runtime, lid: unknown) {
  const key = typeof lid === 'string' ? rt.ring.newestFirst().find((k) => k.source === 'database' && k.lid === lid) : undefined;
  if (!key) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `No stored key has the license ID ${typeof lid === 'string' ? lid.slice(0, 64) : '(missing)'}.`,
      data: { field: 'lid' },
    });
  }
  return key;
}

/**
 * SPEC 16 "Make current": a usable stored key becomes the current license (and is no longer
 * retired) until a newer key is set. Recorded in the audit log with the change.
 */
export async function activateKey(rt: Runtime, lid: unknown, options: Actor = {}): Promise<LicenseStatus> {
  const key = storedKey(rt, lid);
  return rt.write(async ({ knex, serverId, now }) => {
    const { state } = stateOf(key, serverId, now, rt.facts?.bridges ?? [], rt.facts?.revoked);
    if (!isUsable(state)) {
      throw new LicenseError('VALIDATION_FAILED', {
        detail: `This key cannot be made current: it is ${state.replace('_', ' ')} on this server.`,
        data: { field: 'lid', state },
      });
    }
    const newestId = Math.max(
      0,
      ...rt.ring
        .newestFirst()
        .filter((k) => k.source === 'database')
        .map((k) => k.id),
    );
    await auditedTransaction(knex, async (trx) => {
      await chooseKey(trx, key.lid, newestId);
      return { at: now, actor: actorOf(options), action: 'license_activated', detail: { lid: key.lid } };
    });
    rt.logger.info('License key made current', { lid: key.lid, actor: actorOf(options) });
  });
}

/** SPEC 16 "Retire": a key that is not current stays in history and is never chosen again. */
export async function retireKey(rt: Runtime, lid: unknown, options: Actor = {}): Promise<LicenseStatus> {
  const key = storedKey(rt, lid);
  if (rt.snapshot?.current?.key.lid === key.lid) {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'The current license cannot be retired: make another key current first.', data: { field: 'lid' } });
  }
  return rt.write(async ({ knex, now }) => {
    await auditedTransaction(knex, async (trx) => {
      await markRetired(trx, key.lid, actorOf(options), now);
      return { at: now, actor: actorOf(options), action: 'license_retired', detail: { lid: key.lid } };
    });
    rt.logger.info('License key retired', { lid: key.lid, actor: actorOf(options) });
  });
}

/** What `lm.extend()` answers: the new status, the use it recorded (or agreed on), and whether another call recorded it. */
export interface ExtendResult {
  status: LicenseStatus;
  extension: { lid: string; use: number; uses: number; days: number; actor: string; at: string; until: string };
  /** true when this call found its use already recorded by a call at the same moment (another node, a double click) */
  agreed: boolean;
}

/** Thrown inside the transaction to roll it back when the use asked for is already recorded. */
class AlreadyRecorded {
  constructor(readonly use: ExtensionUse) {}
}

/**
 * SPEC 22 self-service extension: one more use of the `ext` claim of the key in force (or just
 * past its grace) moves its end of grace (lib/license/extensions.ts), with its audit entry, in
 * one transaction under the audit chain's lock, so the cluster decides one use at a time.
 *
 * `use` is the number of the use the caller saw offered (the page's confirmation carries it;
 * default: the one after the uses this node's snapshot shows). Two calls for the same use, on
 * two nodes at once or by a double click, agree on one use: the second finds it recorded (or
 * loses the unique (lid, server, use) race) and answers that use instead of spending another.
 */
export async function extendLicense(rt: Runtime, options: Actor & { use?: number } = {}): Promise<ExtendResult> {
  const actor = actorOf(options);
  const seen = rt.snapshot?.status.extension?.used ?? 0;
  const expected = options.use ?? seen + 1;
  // NOTE: only a `use` the caller gave is checked here; one past the last (all spent) is refused below with why
  if (options.use !== undefined && (!Number.isSafeInteger(expected) || expected < EXTENSION_USES.min || expected > EXTENSION_USES.max)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `"use" must be the number of the extension, from ${EXTENSION_USES.min} to ${EXTENSION_USES.max}.`,
      data: { field: 'use' },
    });
  }
  let recorded: ExtensionUse | undefined;
  let agreed = false;
  let status: LicenseStatus;
  try {
    status = await rt.write(async ({ knex, serverId, now }) => {
      try {
        await auditedTransaction(knex, async (trx) => {
          const uses = await readExtensions(trx);
          const facts: ContinuityFacts = { bridges: rt.facts?.bridges ?? [], keyChoices: rt.facts?.keyChoices, revoked: rt.facts?.revoked, extensions: uses };
          const keys = withExtensionEnds(rt.ring.all(), uses, serverId);
          const current = selectCurrent(keys, serverId, now, facts.bridges, facts.keyChoices, facts.revoked);
          const target = extensionTarget(keys, serverId, now, facts, current);
          if (!target?.payload) {
            throw new LicenseError('EXTENSION_NOT_AVAILABLE', {
              detail: 'No license is installed, so there is nothing to extend.',
              data: { reason: 'no_license' },
            });
          }
          const own = usesOf(uses, target.lid, serverId);
          const already = own[expected - 1];
          if (already) throw new AlreadyRecorded(already);
          const offer = extensionOffer(target.payload, own, now);
          if (!offer.available || offer.newEnd === null) {
            throw new LicenseError('EXTENSION_NOT_AVAILABLE', { detail: offer.reason ?? undefined, data: { reason: offer.refusal } });
          }
          const ext = target.payload.ext!;
          recorded = {
            lid: target.lid,
            serverId,
            use: own.length + 1,
            days: ext.days,
            at: now.getTime(),
            actor,
            graceEndBefore: offer.end,
            graceEndAfter: offer.newEnd,
          };
          await insertExtension(trx, recorded);
          return {
            at: now,
            actor,
            action: 'license_extended',
            detail: { lid: target.lid, use: recorded.use, uses: ext.uses, days: ext.days, until: new Date(offer.newEnd * 1000).toISOString() },
          };
        });
      } catch (err) {
        if (err instanceof AlreadyRecorded) {
          recorded = err.use;
          agreed = true;
          return;
        }
        if (rt.dialect.isUniqueViolation(err)) {
          // another node recorded this very use between our read and our insert: agree on it
          recorded = usesOf(await readExtensions(knex), recorded?.lid ?? '', serverId).find((u) => u.use === recorded?.use);
          agreed = true;
          if (recorded) return;
        }
        throw err;
      }
    });
  } catch (err) {
    if (isLicenseError(err) && err.code === 'EXTENSION_NOT_AVAILABLE')
      rt.logger.info('Self-service extension refused', { reason: String(err.data.reason), actor });
    throw err;
  }
  const use = recorded!;
  rt.logger.info(agreed ? 'Self-service extension already recorded: agreed on it' : 'License extended (self-service)', {
    lid: use.lid,
    use: use.use,
    days: use.days,
    actor: use.actor,
  });
  const uses = rt.ring.all().find((k) => k.lid === use.lid)?.payload?.ext?.uses ?? use.use;
  return {
    status,
    agreed,
    extension: {
      lid: use.lid,
      use: use.use,
      uses,
      days: use.days,
      actor: use.actor,
      at: new Date(use.at).toISOString(),
      until: new Date(use.graceEndAfter * 1000).toISOString(),
    },
  };
}
