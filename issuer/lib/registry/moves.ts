/**
 * Moves without a ticket (SPEC 22), the vendor's side. A moved instance sends a move request
 * signed by the instance key of its old server ID; the registry checks it against the subscription
 * whose production instance that old ID is, and against the instance key pinned to it, then:
 * - within the subscription's move budget (default 2 a year) it issues the key for the new server
 *   ID at once, binds the subscription to it and pins the new instance key;
 * - beyond it (or with no instance key pinned yet, so nothing to check the signer against), the
 *   move waits for an engineer, who reads the reason and approves it.
 * The same request imported again is the same move.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  graceDays,
  isLicenseError,
  LicenseError,
  readMoveRequest,
  signLicenseKey,
  type LicensePayload,
  type MoveRequestPayload,
  type PrivateJwk,
} from 'license-manager/formats';
import { dialectOf } from 'license-manager/shared';
import { VendorError } from '../errors.js';
import { requireSubscription } from './lookup.js';
import { contractExp } from './rules.js';
import * as store from './store.js';
import type { IssuedLicense } from './types.js';
import { text } from './validate.js';

export const DEFAULT_MOVE_BUDGET = 2;
const YEAR_MS = 365 * 86_400_000;

export type MoveStatus = 'issued' | 'waiting';

export interface Move {
  id: string;
  subscription: string;
  account: string;
  oldServerId: string;
  newServerId: string;
  oldInstanceKeyId: string;
  newInstanceKeyId: string;
  lidInForce: string | null;
  reason: string;
  movedAt: Date;
  requestedAt: Date;
  importedAt: Date;
  importedBy: string;
  status: MoveStatus;
  /** why it waits for an engineer (beyond the budget, no pinned key) */
  whyWaiting: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** the license issued for the new server ID */
  lid: string | null;
}

export interface MoveImport {
  move: Move;
  /** the key for the new server ID, when it was issued (now or before) */
  license: IssuedLicense | null;
  /** true when this very request was imported before: nothing changed */
  duplicate: boolean;
}

interface MoveRow {
  id: string;
  subscription: string;
  hash: string;
  request: string;
  old_server_id: string;
  new_server_id: string;
  old_kid: string;
  new_kid: string;
  new_jwk: string;
  lid_in_force: string | null;
  reason: string;
  moved_at: number | string;
  requested_at: number | string;
  imported_at: number | string;
  imported_by: string;
  status: string;
  why_waiting: string | null;
  decided_by: string | null;
  decided_at: number | string | null;
  lid: string | null;
  account_name?: string;
}

const reject = (why: string, data: Record<string, unknown> = {}) => new VendorError('MOVE_REJECTED', { detail: `This move request was refused: ${why}`, data });
const date = (v: number | string) => new Date(Number(v));

function toMove(r: MoveRow & { account_name: string }): Move {
  return {
    id: r.id,
    subscription: r.subscription,
    account: r.account_name,
    oldServerId: r.old_server_id,
    newServerId: r.new_server_id,
    oldInstanceKeyId: r.old_kid,
    newInstanceKeyId: r.new_kid,
    lidInForce: r.lid_in_force,
    reason: r.reason,
    movedAt: date(r.moved_at),
    requestedAt: date(r.requested_at),
    importedAt: date(r.imported_at),
    importedBy: r.imported_by,
    status: r.status as MoveStatus,
    whyWaiting: r.why_waiting,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : date(r.decided_at),
    lid: r.lid,
  };
}

const moveQuery = (db: Knex) =>
  db<MoveRow>('vendor_moves as m')
    .join('vendor_subscriptions as s', 's.id', 'm.subscription')
    .join('vendor_accounts as a', 'a.id', 's.account')
    .select('m.*', 'a.name as account_name');

async function findMove(db: Knex, where: { id: string } | { hash: string }): Promise<Move | undefined> {
  const row = await moveQuery(db)
    .where('id' in where ? { 'm.id': where.id } : { 'm.hash': where.hash })
    .first();
  return row ? toMove(row as MoveRow & { account_name: string }) : undefined;
}

/** Moves newest first: of one subscription, waiting ones, or all; at most `limit`. */
export async function listMoves(db: Knex, o: { subscription?: string; status?: MoveStatus; limit?: number } = {}): Promise<Move[]> {
  const q = moveQuery(db)
    .orderBy([
      { column: 'm.imported_at', order: 'desc' },
      { column: 'm.id', order: 'desc' },
    ])
    .limit(Math.min(o.limit ?? 200, 1000));
  if (o.subscription) q.where('m.subscription', o.subscription);
  if (o.status) q.where('m.status', o.status);
  return ((await q) as (MoveRow & { account_name: string })[]).map(toMove);
}

/** The budget of a subscription: moves a year issued without review. */
export async function moveBudget(db: Knex, subscription: string): Promise<number> {
  const row = await db('vendor_subscriptions').where({ id: subscription }).first('move_budget');
  return row?.move_budget === null || row?.move_budget === undefined ? DEFAULT_MOVE_BUDGET : Number(row.move_budget);
}

export async function setMoveBudget(db: Knex, subscription: string, perYear: number): Promise<void> {
  if (!Number.isSafeInteger(perYear) || perYear < 0 || perYear > 100) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: 'The move budget is a whole number of moves a year, from 0 (every move is reviewed) to 100.',
      data: { field: 'perYear' },
    });
  }
  await db('vendor_subscriptions')
    .where({ id: (await requireSubscription(db, subscription)).id })
    .update({ move_budget: perYear });
}

/** Moves of the subscription issued in the year before `at` (at once or approved). */
async function movesInYear(db: Knex, subscription: string, at: Date): Promise<number> {
  const row = await db('vendor_moves')
    .where({ subscription, status: 'issued' })
    .andWhere('decided_at', '>', at.getTime() - YEAR_MS)
    .count({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}

/** The request's signature and shape (the format's MOVE_REJECTED becomes the vendor's). */
async function readRequest(textIn: unknown) {
  try {
    return await readMoveRequest(textIn);
  } catch (err) {
    if (isLicenseError(err) && err.code === 'MOVE_REJECTED') throw new VendorError('MOVE_REJECTED', { detail: err.message, cause: err });
    throw err;
  }
}

/**
 * The subscription whose production instance is the old server ID, checked against what the
 * request names and against the instance key pinned to it. Resolves to why it must wait for an
 * engineer, if it must: no instance key is pinned yet, so the signer cannot be checked.
 */
async function matchSubscription(db: Knex, p: MoveRequestPayload, signerKid: string) {
  const [sub] = await store.subscriptionsBoundTo(db, p.oldServerId);
  if (!sub) {
    const moved = await db('vendor_moves').where({ old_server_id: p.oldServerId, status: 'issued' }).first('new_server_id');
    throw reject(
      moved
        ? `the server ID ${p.oldServerId} was already moved to ${moved.new_server_id as string}; a request from that server ID is not accepted again.`
        : `no subscription has the server ID ${p.oldServerId} as its production instance.`,
      { oldServerId: p.oldServerId },
    );
  }
  if (p.sub !== null && p.sub !== sub.id) {
    throw reject(`it names subscription ${p.sub}, but the server ID ${p.oldServerId} is the production instance of subscription ${sub.id}.`, {
      subscription: sub.id,
      named: p.sub,
    });
  }
  if (sub.archivedAt) throw reject(`subscription ${sub.id} is archived.`, { subscription: sub.id });
  const taken = (await store.subscriptionsBoundTo(db, p.newServerId)).find((s) => s.id !== sub.id);
  if (taken) throw reject(`the new server ID ${p.newServerId} is already the production instance of subscription ${taken.id}.`, { subscription: sub.id });
  const pin = await db('vendor_instance_keys').where({ subscription: sub.id }).first('kid', 'pinned_at');
  if (pin && pin.kid !== signerKid) {
    throw reject(
      `it is signed by instance key ${signerKid}, but subscription ${sub.id} has been pinned to instance key ${pin.kid as string} since ${date(pin.pinned_at).toISOString().slice(0, 10)}: it does not come from the instance this subscription licenses.`,
      { subscription: sub.id, kid: signerKid, pinned: pin.kid },
    );
  }
  return { sub, unpinned: !pin };
}

/** The claims of the key for the new server ID: those of the license in force (same contract), else the subscription's. */
async function newClaims(db: Knex, sub: store.StoredSubscription, p: MoveRequestPayload, at: Date): Promise<LicensePayload> {
  const inForce = p.lid ? await store.findLicense(db, p.lid) : undefined;
  const base = inForce && inForce.subscription === sub.id && inForce.serverId === p.oldServerId ? inForce.claims : undefined;
  const now = Math.floor(at.getTime() / 1000);
  const owner = (await store.findAccount(db, { name: sub.account }))!;
  const exp = contractExp(sub.ends);
  if (exp <= now) throw reject(`the contract of subscription ${sub.id} ended on ${sub.ends}.`, { subscription: sub.id });
  const limits: LicensePayload['limits'] = base ? { ...base.limits } : {};
  if (!base && sub.users !== null) limits.users = sub.users;
  if (!base && sub.loc !== null) limits.loc = sub.loc;
  return {
    ...(base ?? {}),
    v: 1,
    lid: randomUUID(),
    sub: sub.id,
    licensee: base?.licensee ?? owner.company,
    serverId: p.newServerId,
    type: 'production',
    edition: base?.edition ?? sub.edition,
    features: base ? [...base.features] : [],
    limits,
    tags: base ? [...base.tags] : [],
    iat: now,
    nbf: now,
    exp,
  };
}

/**
 * Issues the key for the new server ID in one transaction: the subscription moves to the new server
 * ID (a compare-and-set from the old one), the new instance key is pinned, the move is decided.
 */
async function issueFor(
  trx: Knex.Transaction,
  o: { moveId: string; sub: store.StoredSubscription; p: MoveRequestPayload; privateJwk: PrivateJwk; by: string; at: Date },
): Promise<string> {
  const { sub, p, at } = o;
  const claims = await newClaims(trx, sub, p, at);
  const key = await signLicenseKey(claims, o.privateJwk);
  const moved = await trx('vendor_subscriptions').where({ id: sub.id, production_server_id: p.oldServerId }).update({ production_server_id: p.newServerId });
  if (Number(moved) !== 1) throw reject(`subscription ${sub.id} is no longer bound to ${p.oldServerId}: it was moved meanwhile.`, { subscription: sub.id });
  const owner = (await store.findAccount(trx, { name: sub.account }))!;
  await store.insertLicense(trx, {
    claims,
    key,
    subscription: sub.id,
    accountPk: owner.pk,
    emergency: false,
    grace: graceDays(claims),
    issuedBy: o.by,
    issuedAt: at,
    ticket: null,
    emailTo: null,
    emailOutcome: null,
    opportunityId: null,
  });
  const pin = { server_id: p.newServerId, kid: p.newInstanceKeyId, jwk: JSON.stringify(p.newInstanceKey), pinned_at: at.getTime() };
  const repinned = await trx('vendor_instance_keys').where({ subscription: sub.id }).update(pin);
  if (Number(repinned) === 0) await trx('vendor_instance_keys').insert({ subscription: sub.id, ...pin });
  const decided = await trx('vendor_moves')
    .where({ id: o.moveId, status: 'waiting' })
    .update({ status: 'issued', decided_by: o.by, decided_at: at.getTime(), lid: claims.lid });
  if (Number(decided) !== 1) throw reject('it was decided meanwhile.', { move: o.moveId });
  return claims.lid;
}

const hashOf = (compact: string) => createHash('sha256').update(compact).digest('hex');

/** Imports a move request (see the top of this file). */
export async function importMove(db: Knex, at: Date, o: { text: unknown; privateJwk: PrivateJwk; importedBy: string }): Promise<MoveImport> {
  const importedBy = text(o.importedBy, 'Who imports it');
  const { payload: p, signer, compact } = await readRequest(o.text);
  const hash = hashOf(compact);
  const known = await findMove(db, { hash });
  if (known) return { move: known, license: known.lid ? ((await store.findLicense(db, known.lid)) ?? null) : null, duplicate: true };
  const { sub, unpinned } = await matchSubscription(db, p, signer.kid);
  const budget = await moveBudget(db, sub.id);
  const used = await movesInYear(db, sub.id, at);
  const whyWaiting = unpinned
    ? `No instance key is pinned to subscription ${sub.id} yet (no usage report or license request carried one), so the signer ${signer.kid} cannot be checked: an engineer confirms it.`
    : used >= budget
      ? `Beyond the move budget: ${used} move${used === 1 ? '' : 's'} in the last 12 months, ${budget} a year without review.`
      : null;
  const id = randomUUID();
  const row = {
    id,
    subscription: sub.id,
    hash,
    request: compact,
    old_server_id: p.oldServerId,
    new_server_id: p.newServerId,
    old_kid: signer.kid,
    new_kid: p.newInstanceKeyId,
    new_jwk: JSON.stringify(p.newInstanceKey),
    lid_in_force: p.lid,
    reason: p.reason,
    moved_at: p.movedAt * 1000,
    requested_at: p.requestedAt * 1000,
    imported_at: at.getTime(),
    imported_by: importedBy,
    status: 'waiting',
    why_waiting: whyWaiting,
  };
  try {
    await db.transaction(async (trx) => {
      await trx('vendor_moves').insert(row);
      if (!whyWaiting) await issueFor(trx, { moveId: id, sub, p, privateJwk: o.privateJwk, by: importedBy, at });
    });
  } catch (err) {
    // the same request imported at the same moment elsewhere: that import is the move
    if (dialectOf(db).isUniqueViolation(err)) {
      const move = (await findMove(db, { hash }))!;
      return { move, license: move.lid ? ((await store.findLicense(db, move.lid)) ?? null) : null, duplicate: true };
    }
    throw err;
  }
  const move = (await findMove(db, { id }))!;
  return { move, license: move.lid ? (await store.findLicense(db, move.lid))! : null, duplicate: false };
}

/** An engineer approves a waiting move: the key for the new server ID is issued. */
export async function approveMove(db: Knex, at: Date, o: { id: string; approvedBy: string; privateJwk: PrivateJwk }): Promise<MoveImport> {
  const approvedBy = text(o.approvedBy, 'Who approves it');
  const move = await findMove(db, { id: text(o.id, 'The move ID') });
  if (!move) throw new LicenseError('VALIDATION_FAILED', { detail: `No move has the ID ${o.id.slice(0, 64)}.`, data: { move: o.id } });
  if (move.status !== 'waiting')
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `This move was already decided by ${move.decidedBy ?? 'someone'}: the key ${move.lid} is issued.`,
      data: { move: move.id },
    });
  const row = await db('vendor_moves').where({ id: move.id }).first('request');
  const { payload: p } = await readRequest(row.request as string);
  const sub = await requireSubscription(db, move.subscription);
  await db.transaction((trx) => issueFor(trx, { moveId: move.id, sub, p, privateJwk: o.privateJwk, by: approvedBy, at }));
  const decided = (await findMove(db, { id: move.id }))!;
  return { move: decided, license: (await store.findLicense(db, decided.lid!))!, duplicate: false };
}
