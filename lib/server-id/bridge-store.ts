import type { Knex } from 'knex';
import type { Logger } from '../host.js';
import type { Bridge, RingKey } from '../license/key-ring.js';
import { listEvents } from '../store/events.js';
import { readSetting, readSettings, writeSetting } from '../store/settings.js';
import { decideBridge } from './bridge.js';
import type { ServerIdChange } from './store.js';

/** Every bridge granted on this database. */
export async function readBridges(knex: Knex): Promise<Bridge[]> {
  return [...(await readSettings(knex, 'bridge:')).values()] as Bridge[];
}

/**
 * Decides the bridge of the latest move to this server ID, once per move event.
 * NOTE: the move is read from the latest server_id_changed event rather than from this start's
 * own result, so the bridge is also granted when the new ID was first stored by the CLI's
 * `server-id` or by a node that stopped before granting it.
 */
export async function settleBridge(knex: Knex, serverId: string, keys: readonly RingKey[], now: Date, logger: Logger): Promise<void> {
  const [latest] = await listEvents<ServerIdChange>(knex, 'server_id_changed', 1);
  if (!latest || latest.data.newId !== serverId) return;
  const decided = `bridge_decided:${latest.id}`;
  if (await readSetting(knex, decided)) return;
  const bridge = decideBridge({ change: latest.data, movedAt: latest.at, keys, bridges: await readBridges(knex), now });
  if (bridge) {
    await writeSetting(knex, `bridge:${bridge.lid}`, bridge);
    logger.warn('The server ID changed; the license stays in force for 7 days', { ...latest.data });
  }
  await writeSetting(knex, decided, true);
}
