import type { Knex } from 'knex';
import type { Dialect } from '../store/dialects/index.js';
import { recordEvent } from '../store/events.js';
import { appendAudit } from '../audit/index.js';
import { isLicenseError } from '../errors.js';
import { checksumOf, newDatasetPart, serverIdOf } from './derive.js';

export interface ServerIdChange {
  oldId: string;
  newId: string;
  reason: string;
}

export interface ServerIdResult {
  serverId: string;
  /** set when this start found the database moved, renamed or copied */
  changed?: ServerIdChange;
}

interface IdentityRow {
  server_id: string;
  dataset: string;
  checksum: string;
  identity: string;
}

const read = async (knex: Knex): Promise<IdentityRow | undefined> =>
  knex('license_identity').where({ id: 1 }).first('server_id', 'dataset', 'checksum', 'identity');

function reasonFor(oldIdentity: string, newIdentity: string): string {
  return `The database connection identity changed from ${oldIdentity} to ${newIdentity}: the database was moved, renamed, copied or restored from another instance.`;
}

/**
 * The server ID of this database (SPEC 4): generated on an empty database, kept while the
 * checksum matches, re-derived (same dataset part, new database part) when the database moved.
 * Both writes are compare-and-set, so nodes starting at once agree on one ID.
 */
export async function ensureServerId(knex: Knex, dialect: Dialect, identity: string, now: Date): Promise<ServerIdResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await read(knex);
    if (!row) {
      const dataset = newDatasetPart();
      const serverId = serverIdOf(identity, dataset);
      try {
        await knex('license_identity').insert({
          id: 1,
          server_id: serverId,
          dataset,
          identity,
          checksum: checksumOf(serverId, identity),
          updated_at: now.getTime(),
        });
        return { serverId };
      } catch (err) {
        if (!dialect.isUniqueViolation(err)) throw err;
        continue; // another node stored its ID first: use that one
      }
    }
    if (row.checksum === checksumOf(row.server_id, identity)) return { serverId: row.server_id };
    const serverId = serverIdOf(identity, row.dataset);
    const updated = await knex('license_identity')
      .where({ id: 1, checksum: row.checksum })
      .update({ server_id: serverId, identity, checksum: checksumOf(serverId, identity), updated_at: now.getTime() });
    if (updated === 0) continue; // another node re-derived it first: read its result
    const changed = { oldId: row.server_id, newId: serverId, reason: reasonFor(row.identity, identity) };
    await recordEvent(knex, 'server_id_changed', now, { ...changed });
    // NOTE: a broken chain never stops start() (SPEC 21): the event is stored above, and the
    // snapshot says AUDIT_CHAIN_BROKEN
    await appendAudit(knex, { at: now, actor: 'system', action: 'server_id_changed', detail: { oldId: changed.oldId, newId: changed.newId } }).catch(
      (err: unknown) => {
        if (!(isLicenseError(err) && err.code === 'AUDIT_CHAIN_BROKEN')) throw err;
      },
    );
    return { serverId, changed };
  }
  throw new Error('The server ID could not be settled after 5 attempts: the identity row keeps changing.');
}
