import { LicenseError } from '../errors.js';
import { graceEnd, type LicensePayload } from '../keys/claims.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { verifyWith } from '../keys/verify.js';
import { datasetOf } from '../server-id/derive.js';
import { boundToServer, evaluateKey, isUsable } from './evaluate.js';
import type { LicenseState } from './types.js';
import { NO_CHOICES, type KeyChoices } from './key-choices.js';
import { ORIGIN_ORDER, type ConfigOrigin, type ConfigSource } from './config-source.js';

/** One key of the ring: every key ever accepted, plus keys given by configuration. */
export interface RingKey {
  id: number;
  lid: string;
  compact: string;
  /** null when the key no longer verifies (e.g. its vendor key is no longer trusted) */
  payload: LicensePayload | null;
  problem?: LicenseError;
  setBy: string;
  setAt: Date;
  source: 'database' | 'config';
  /** the end of grace moved by self-service extensions on this server (Unix seconds; SPEC 22) */
  graceEndAt?: number;
  /** for a configuration key: which source gave it, and how to name that source (SPEC 22) */
  origin?: { kind: ConfigOrigin; label: string };
}

/** A server-ID bridge (SPEC 4): a production key kept in force for 7 days after a move. */
export interface Bridge {
  lid: string;
  from: string;
  to: string;
  until: number;
}

export interface CurrentKey {
  key: RingKey;
  state: LicenseState;
  bridged: boolean;
}

/**
 * A key's text verified again (keys are data: trust nothing stored). SPEC 15.3: whatever is
 * wrong with it (a hand edit, a row of an older version, not even text) makes it `invalid`; it
 * never throws, so no stored row can stop start(), a refresh, the page or the support file.
 */
export async function verifyRow(compact: unknown, trusted: TrustedKeys): Promise<{ payload: LicensePayload | null; problem?: LicenseError }> {
  try {
    if (typeof compact !== 'string') throw new LicenseError('KEY_MALFORMED');
    const { payload } = await verifyWith(compact, trusted);
    evaluable(payload);
    return { payload };
  } catch (err) {
    if (err instanceof LicenseError) return { payload: null, problem: err };
    return { payload: null, problem: new LicenseError('KEY_MALFORMED', { cause: err }) };
  }
}

/**
 * Throws KEY_CLAIMS_INVALID unless every date the page, the status and the support file derive
 * from the key can be written: a key is evaluated before it is stored, and again when read.
 */
export function evaluable(payload: LicensePayload): void {
  try {
    for (const s of [payload.iat, payload.nbf, payload.exp, graceEnd(payload)]) new Date(s * 1000).toISOString();
  } catch (cause) {
    throw new LicenseError('KEY_CLAIMS_INVALID', { detail: 'This license key is signed, but its dates cannot be evaluated.', cause });
  }
}

/** A key given by configuration; its ring ID is fixed by its source, so a reload takes its place. */
export async function configKey(compact: string, trusted: TrustedKeys, source: Pick<ConfigSource, 'origin' | 'label'>, at: Date): Promise<RingKey> {
  const verified = await verifyRow(compact, trusted);
  const index = ORIGIN_ORDER.indexOf(source.origin);
  return {
    id: -1 - index,
    lid: verified.payload?.lid ?? `config-${source.origin}`,
    compact,
    ...verified,
    setBy: 'configuration',
    setAt: at,
    source: 'config',
    origin: { kind: source.origin, label: source.label },
  };
}

/**
 * May this instance store the key? Its own server ID or "*", or a staging key whose server ID
 * carries this instance's dataset part (kept dormant until a production→staging copy).
 */
export function checkAcceptable(payload: LicensePayload, serverId: string, now: Date): void {
  const sibling = payload.type === 'staging' && payload.serverId !== '*' && datasetOf(payload.serverId) === datasetOf(serverId);
  if (!boundToServer(payload, serverId) && !sibling) {
    throw new LicenseError('SERVER_ID_MISMATCH', {
      detail: `This license key was issued for server ID ${payload.serverId}, but this server's ID is ${serverId}.`,
      data: { keyServerId: payload.serverId, serverId },
    });
  }
  if (evaluateKey(payload, serverId, now, { bridged: sibling }) === 'expired') {
    throw new LicenseError('LICENSE_EXPIRED', {
      detail: `This license key expired on ${new Date(payload.exp * 1000).toISOString().slice(0, 10)} and its grace period is over.`,
    });
  }
}

// NOTE: insertion order (the id), not set_at: nodes of a cluster may disagree on the time.
const newestFirst = (a: RingKey, b: RingKey) => b.id - a.id;

/** Stored keys, newest first, without retired ones; a key made current first while it is the latest choice. */
export function rankStored(keys: readonly RingKey[], choices: KeyChoices): RingKey[] {
  const stored = keys.filter((k) => k.source === 'database' && !choices.retired.has(k.lid)).sort(newestFirst);
  const chosen = choices.chosen;
  if (!chosen || stored.some((k) => k.id > chosen.afterId)) return stored;
  const pick = stored.find((k) => k.lid === chosen.lid);
  return pick ? [pick, ...stored.filter((k) => k !== pick)] : stored;
}

function bridgeFor(key: RingKey, serverId: string, bridges: readonly Bridge[], now: Date): boolean {
  return bridges.some((b) => b.lid === key.lid && b.to === serverId && key.payload?.serverId === b.from && now.getTime() < b.until);
}

/** Revoked license IDs with when each was revoked (Unix seconds), from the list in force. */
export type Revoked = ReadonlyMap<string, number>;
const NONE_REVOKED: Revoked = new Map();

export function stateOf(
  key: RingKey,
  serverId: string,
  now: Date,
  bridges: readonly Bridge[] = [],
  revoked: Revoked = NONE_REVOKED,
): { state: LicenseState; bridged: boolean } {
  if (!key.payload) return { state: 'invalid', bridged: false };
  if (revoked.has(key.lid)) return { state: 'revoked', bridged: false };
  const bridged = !boundToServer(key.payload, serverId) && bridgeFor(key, serverId, bridges, now);
  return { state: evaluateKey(key.payload, serverId, now, { bridged, graceEnd: key.graceEndAt }), bridged };
}

/**
 * The current license (SPEC 5.2), pure: a usable configuration key first (no database copy
 * overwrites it), then the most recently set usable key bound to this server; when none is
 * usable, the most recently set key bound to this server, else the most recently set key that
 * is not a dormant staging key (so a key of a moved database shows `wrong_server`).
 * The administrator's choices (SPEC 16) apply to stored keys: a retired key is never chosen, and
 * a key made current ranks first until a newer key is stored.
 */
export function selectCurrent(
  keys: readonly RingKey[],
  serverId: string,
  now: Date,
  bridges: readonly Bridge[] = [],
  choices: KeyChoices = NO_CHOICES,
  revoked: Revoked = NONE_REVOKED,
): CurrentKey | null {
  const ordered = [...keys.filter((k) => k.source === 'config'), ...rankStored(keys, choices)];
  let fallback: CurrentKey | null = null;
  let anyFallback: CurrentKey | null = null;
  for (const key of ordered) {
    const { state, bridged } = stateOf(key, serverId, now, bridges, revoked);
    const candidate = { key, state, bridged };
    if (isUsable(state)) return candidate;
    const bound = key.payload ? boundToServer(key.payload, serverId) || bridged : false;
    if (bound && !fallback) fallback = candidate;
    // a dormant staging key (kept for the staging copy) is not this instance's license
    const dormant = key.payload?.type === 'staging' && !bound;
    if (!anyFallback && !dormant) anyFallback = candidate;
  }
  return fallback ?? anyFallback;
}
