import { graceEnd, type LicensePayload } from '../keys/claims.js';
import { DAY_SECONDS } from '../time.js';
import type { LicenseState } from './types.js';

export const EXPIRING_DAYS = 60;
const USABLE: ReadonlySet<LicenseState> = new Set(['active', 'expiring', 'grace']);

/** Features and limits are in force only in these states. */
export function isUsable(state: LicenseState): boolean {
  return USABLE.has(state);
}

export function boundToServer(payload: Pick<LicensePayload, 'serverId'>, serverId: string): boolean {
  return payload.serverId === '*' || payload.serverId === serverId;
}

/**
 * The state of one verified key for this server at `now` (SPEC 5.1). Pure.
 * Boundaries: valid from `nbf` inclusive; `expiring` from exactly 60 days before `exp`;
 * `grace` from `exp`; `expired` from `exp + grace days`, or from `options.graceEnd` (Unix seconds)
 * when self-service extensions moved it later.
 */
export function evaluateKey(payload: LicensePayload, serverId: string, now: Date, options: { bridged?: boolean; graceEnd?: number } = {}): LicenseState {
  if (!options.bridged && !boundToServer(payload, serverId)) return 'wrong_server';
  const t = Math.floor(now.getTime() / 1000);
  if (t < payload.nbf) return 'not_yet_valid';
  // a self-service extension (SPEC 22) moves the end of grace, never the end of the contract
  if (t >= Math.max(graceEnd(payload), options.graceEnd ?? 0)) return 'expired';
  if (t >= payload.exp) return 'grace';
  if (t >= payload.exp - EXPIRING_DAYS * DAY_SECONDS) return 'expiring';
  return 'active';
}
