/**
 * The server-ID bridge (SPEC 4), as a pure decision: when the server ID changes under a
 * production key that was in force, and no key bound to the new ID is usable, that key stays in
 * force for 7 more days, once per key. The SQL around it is in `bridge-store.ts`.
 */
import { boundToServer, isUsable } from '../license/evaluate.js';
import { selectCurrent, stateOf, type Bridge, type RingKey } from '../license/key-ring.js';
import { DAY_MS } from '../time.js';
import type { ServerIdChange } from './store.js';

export const BRIDGE_DAYS = 7;

export interface BridgeInput {
  change: ServerIdChange;
  /** when the move was recorded: the 7 days count from then, not from when a node decides */
  movedAt: Date;
  /** the key ring (configuration and stored keys) */
  keys: readonly RingKey[];
  /** bridges granted so far: a key is bridged once */
  bridges: readonly Bridge[];
  now: Date;
}

/** The bridge to grant after a move, or null. Pure. */
export function decideBridge({ change, movedAt, keys, bridges, now }: BridgeInput): Bridge | null {
  const before = selectCurrent(keys, change.oldId, now, bridges);
  if (before?.key.payload?.type !== 'production' || !isUsable(before.state)) return null;
  const usableForNew = keys.some((k) => k.payload && boundToServer(k.payload, change.newId) && isUsable(stateOf(k, change.newId, now).state));
  if (usableForNew) return null;
  if (bridges.some((b) => b.lid === before.key.lid)) return null; // once per key
  return { lid: before.key.lid, from: change.oldId, to: change.newId, until: movedAt.getTime() + BRIDGE_DAYS * DAY_MS };
}
