/**
 * The uses of self-service extensions (SPEC 22), table `license_extensions`: read whole at each
 * refresh (at most 3 rows per key and server), written one row per use.
 */
import type { Knex } from 'knex';
import type { ExtensionUse } from './extensions.js';

const T = 'license_extensions';

interface Row {
  lid: string;
  server_id: string;
  use_number: number | string;
  days: number | string;
  used_at: number | string;
  actor: string;
  grace_end_before: number | string;
  grace_end_after: number | string;
}

const toUse = (r: Row): ExtensionUse => ({
  lid: r.lid,
  serverId: r.server_id,
  use: Number(r.use_number),
  days: Number(r.days),
  at: Number(r.used_at),
  actor: r.actor,
  graceEndBefore: Number(r.grace_end_before),
  graceEndAfter: Number(r.grace_end_after),
});

/** Every use recorded in this database, oldest first. */
export async function readExtensions(knex: Knex | Knex.Transaction): Promise<ExtensionUse[]> {
  return (
    (await knex(T).orderBy('id', 'asc').select('lid', 'server_id', 'use_number', 'days', 'used_at', 'actor', 'grace_end_before', 'grace_end_after')) as Row[]
  ).map(toUse);
}

/** Records one use; a unique violation means another node recorded this use first. */
export async function insertExtension(trx: Knex.Transaction, use: ExtensionUse): Promise<void> {
  await trx(T).insert({
    lid: use.lid,
    server_id: use.serverId,
    use_number: use.use,
    days: use.days,
    used_at: use.at,
    actor: use.actor,
    grace_end_before: use.graceEndBefore,
    grace_end_after: use.graceEndAfter,
  });
}
