import type { Knex } from 'knex';
import { LicenseError } from '../errors.js';
import { appendAudit } from '../audit/index.js';
import { deriveInstanceKey, type InstanceKey } from '../instance-key/derive.js';
import type { LicensePayload } from '../keys/claims.js';
import { listEvents } from '../store/events.js';
import type { ServerIdChange } from '../server-id/store.js';
import { checkReason, signMoveRequest, type MoveRequestPayload } from './format.js';

export interface MoveRequest {
  /** the compact JWS to send to the vendor */
  text: string;
  payload: MoveRequestPayload;
  /** suggested file name */
  fileName: string;
}

export interface MoveRequestDeps {
  knex: Knex;
  serverId: string;
  instanceKey: InstanceKey;
  /** the license in force (or shown) now */
  license: Pick<LicensePayload, 'lid' | 'sub' | 'licensee' | 'serverId'> | null;
  now: Date;
}

/** The latest move to this server ID, or null when its server ID never changed (SPEC 4). */
export async function latestMove(knex: Knex, serverId: string): Promise<{ change: ServerIdChange; at: Date; formerIds: string[] } | null> {
  const events = await listEvents<ServerIdChange>(knex, 'server_id_changed', 50);
  const latest = events[0];
  if (!latest || latest.data.newId !== serverId) return null;
  return { change: latest.data, at: latest.at, formerIds: events.map((e) => e.data.oldId) };
}

/**
 * The move request of SPEC 22: signed by the instance key of the old server ID (derived from the
 * secret the moved database kept), carrying the new server ID and its instance key. The old ID is
 * the one the license in force was issued for when this database had it (a database moved twice
 * before asking still names the ID its vendor knows), else the one before the latest move.
 */
export async function makeMoveRequest(deps: MoveRequestDeps, options: { reason?: string; actor: string }): Promise<MoveRequest> {
  const { knex, serverId, instanceKey, license, now } = deps;
  const move = await latestMove(knex, serverId);
  if (!move) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `The server ID of this instance (${serverId}) has not changed, so there is nothing to move: request a key for this server ID instead.`,
      data: { field: 'serverId' },
    });
  }
  const licensed = license?.serverId;
  const oldServerId = licensed && licensed !== serverId && move.formerIds.includes(licensed) ? licensed : move.change.oldId;
  const row = await knex('license_identity').where({ id: 1 }).first('key_secret');
  if (!row?.key_secret) throw new Error('The instance key secret is missing from the server identity row.');
  const oldKey = deriveInstanceKey(row.key_secret as string, oldServerId);
  const reason =
    options.reason === undefined ? `The server ID changed on ${move.at.toISOString().slice(0, 10)}: ${move.change.reason}` : checkReason(options.reason);
  const payload: MoveRequestPayload = {
    v: 1,
    oldServerId,
    newServerId: serverId,
    newInstanceKey: instanceKey.publicJwk,
    newInstanceKeyId: instanceKey.kid,
    lid: license?.lid ?? null,
    sub: license?.sub ?? null,
    licensee: license?.licensee ?? null,
    reason,
    movedAt: Math.floor(move.at.getTime() / 1000),
    requestedAt: Math.floor(now.getTime() / 1000),
  };
  const text = await signMoveRequest(payload, oldKey);
  await appendAudit(knex, { at: now, actor: options.actor, action: 'move_requested', detail: { oldServerId, newServerId: serverId, lid: payload.lid } });
  return { text, payload, fileName: `move-request-${serverId}.jws` };
}
