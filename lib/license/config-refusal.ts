import { stateOf, type CurrentKey, type RingKey } from './key-ring.js';
import type { LicenseState, Warning } from './types.js';
import { formatDay, graceLastDay } from './dates.js';
import { isUsable } from './evaluate.js';
import type { LicenseSource } from './config-source.js';
import type { SnapshotInput } from './snapshot.js';

/** Why a configured key cannot be the license, in words (SPEC 22 `LICENSE_SOURCE_REFUSED`). Pure. */
export function refusalReason(key: RingKey, state: LicenseState, serverId: string): string {
  const p = key.payload;
  switch (state) {
    case 'invalid':
      return key.problem?.message ?? 'it is not a valid license key.';
    case 'wrong_server':
      return `it was issued for server ID ${p?.serverId ?? 'unknown'}, but this server's ID is ${serverId}.`;
    case 'expired':
      return p ? `it expired and its grace period ended on ${formatDay(graceLastDay(p))}.` : 'it has expired.';
    case 'revoked':
      return `the vendor revoked it (license ID ${key.lid}).`;
    default:
      return `it is ${state.replace(/_/g, ' ')}.`;
  }
}

/** SPEC 22: configured keys in these states are refused; they never replace a usable key. */
const REFUSED_STATES: ReadonlySet<LicenseState> = new Set(['invalid', 'wrong_server', 'expired', 'revoked']);

/** Where the license in force comes from: its configuration source, or `page` for a stored key. */
export function sourceOf(key: RingKey): LicenseSource {
  return key.source === 'config' ? (key.origin?.kind ?? 'option') : 'page';
}

/** `LICENSE_SOURCE_REFUSED` for each configured key that cannot be the license, naming its source. */
export function sourceWarnings(input: SnapshotInput, current: CurrentKey | null): Warning[] {
  const inForce =
    !current || !isUsable(current.state)
      ? 'No usable license is in force.'
      : current.key.source === 'database'
        ? 'The license set on this page stays in force.'
        : `The license from ${current.key.origin?.label ?? 'the configuration'} is in force.`;
  const out: Warning[] = [];
  for (const r of input.configRefusals ?? []) {
    out.push({ code: 'LICENSE_SOURCE_REFUSED', message: `The license key in ${r.label} is refused: ${r.reason} The key read from it before stays in force.` });
  }
  for (const key of input.keys) {
    if (key.source !== 'config' || !key.origin) continue;
    const { state } = stateOf(key, input.serverId, input.now, input.facts.bridges, input.facts.revoked);
    if (!REFUSED_STATES.has(state)) continue;
    out.push({
      code: 'LICENSE_SOURCE_REFUSED',
      message: `The license key in ${key.origin.label} is refused: ${refusalReason(key, state, input.serverId)} ${inForce}`,
    });
  }
  return out;
}
