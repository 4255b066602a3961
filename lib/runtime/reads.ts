/**
 * What the page, the support file and the host read beyond the snapshot: each a query, judged
 * with the snapshot's time so the page and the status agree.
 */
import { stateOf } from '../license/key-ring.js';
import { LicenseError } from '../errors.js';
import type { ServerIdEvent, StoredKey } from '../license/types.js';
import { listEvents } from '../store/events.js';
import * as loc from '../usage/loc.js';
import { projectCount, projectPage, type ProjectKey, type UsagePage } from '../usage/project-usage.js';
import { decideLimit, type LimitDecision } from '../usage/limits.js';
import type { ServerIdChange } from '../server-id/store.js';
import type { Runtime } from './runtime.js';
import { verifyWith } from '../keys/verify.js';
import { checkAcceptable } from '../license/key-ring.js';
import { evaluateKey } from '../license/evaluate.js';
import { compareLicenses, type LicenseChanges } from '../license/changes.js';
import type { LicensePayload } from '../keys/claims.js';
import type { LicenseState } from '../license/types.js';

export interface LicensePreview {
  license: LicensePayload;
  /** the state the key would have here now (`not_yet_valid` for a future key) */
  state: LicenseState;
  changes: LicenseChanges;
}

/**
 * SPEC 16 preview: verify and judge a key exactly as setLicense would, and say what it changes
 * against the current license. Stores nothing.
 */
export async function previewLicense(rt: Runtime, key: string): Promise<LicensePreview> {
  const { payload } = await verifyWith(key, rt.trusted);
  const now = rt.time();
  checkAcceptable(payload, rt.serverId, now);
  return { license: payload, state: evaluateKey(payload, rt.serverId, now), changes: compareLicenses(rt.status().license, payload) };
}

/** The text of a key of the ring (for copy and download on the page), or VALIDATION_FAILED. */
export function keyText(rt: Runtime, lid: string): string {
  const key = rt.ring.newestFirst().find((k) => k.lid === lid);
  if (!key) throw new LicenseError('VALIDATION_FAILED', { detail: `No stored key has the license ID ${lid.slice(0, 64)}.`, data: { field: 'lid' } });
  return key.compact;
}

/** Every key of the ring, newest first, with its state now (the key text itself is not exposed). */
export async function keyHistory(rt: Runtime): Promise<StoredKey[]> {
  // NOTE: in an outage the page still lists the keys this process has loaded
  await rt.ring.loadNew(rt.knex).catch((err) => {
    if (!rt.dialect.isUnavailable(err)) throw err;
  });
  const status = rt.status();
  const now = new Date(status.details.evaluatedAt);
  const current = rt.snapshot?.current?.key;
  const bridges = rt.facts?.bridges ?? [];
  return rt.ring.newestFirst().map((k) => ({
    id: k.id,
    lid: k.lid,
    licensee: k.payload?.licensee ?? '(unreadable key)',
    type: k.payload?.type ?? 'unknown',
    edition: k.payload?.edition ?? '',
    serverId: k.payload?.serverId ?? '',
    exp: k.payload?.exp ?? 0,
    nbf: k.payload?.nbf ?? 0,
    setBy: k.setBy,
    setAt: k.setAt.toISOString(),
    source: k.source,
    state: stateOf(k, rt.serverId, now, bridges, rt.facts?.revoked).state,
    current: k === current,
    retired: k.source === 'database' && (rt.facts?.keyChoices?.retired.has(k.lid) ?? false),
  }));
}

/**
 * One page of per-project usage (the 50 largest unless told) and the count: never every row.
 * The count is the snapshot's, read with the consumption by each refresh, like the gauge.
 */
export async function locUsage(rt: Runtime, page: { limit: number; after: ProjectKey | null } = { limit: 50, after: null }): Promise<UsagePage> {
  const known = rt.facts?.projects;
  const [total, rows] = await rt.query((knex) => Promise.all([known ?? projectCount(knex), projectPage(knex, { ...page, locLimit: rt.status().loc.limit })]));
  return { total, ...rows };
}

export async function serverIdEvents(rt: Runtime): Promise<ServerIdEvent[]> {
  const events = await rt.query((knex) => listEvents<ServerIdChange>(knex, 'server_id_changed'));
  return events.map((e) => ({ at: e.at.toISOString(), oldId: e.data.oldId, newId: e.data.newId, reason: e.data.reason }));
}

export async function database(rt: Runtime): Promise<{ kind: string; version: string }> {
  return { kind: rt.dialect.kind, version: await rt.query((knex) => rt.dialect.version(knex)) };
}

export async function checkAnalysis(rt: Runtime, analysis: loc.Analysis): Promise<LimitDecision> {
  const { before, after } = await rt.query((knex) => loc.consumptionAfter(knex, analysis));
  return decideLimit('loc', after, rt.status(), rt.snapshot!.usable, before);
}
