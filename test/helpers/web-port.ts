/**
 * A WebPort held in memory, built from the real pieces that exist without a database: key
 * verification, the key ring's rules and the pure snapshot. The router's tests use the real
 * manager; this port serves unit-level checks of the router where a database adds nothing
 * (failing sections, a throwing authorize).
 */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { verifyLicenseKey } from '../../lib/keys/verify.js';
import type { PublicJwk } from '../../lib/keys/jwk.js';
import { buildSnapshot } from '../../lib/license/snapshot.js';
import { checkAcceptable, stateOf, selectCurrent, type RingKey } from '../../lib/license/key-ring.js';
import type { LicenseStatus, ProjectUsage, StoredKey } from '../../lib/license/types.js';
import type { JobHealth, NotificationRow } from '../../lib/jobs/port.js';
import type { WebPort } from '../../lib/web/port.js';
import { metricsEndpoint } from '../../lib/metrics/index.js';
import { LicenseError } from '../../lib/errors.js';
import { evaluateKey } from '../../lib/license/evaluate.js';
import { compareLicenses } from '../../lib/license/changes.js';

export interface MemoryPortOptions {
  serverId: string;
  publicKeys: PublicJwk[];
  now: () => Date;
  authorize?: (req: Request) => boolean | Promise<boolean>;
  supportEmail?: string;
}

export interface MemoryPort extends WebPort {
  projects: ProjectUsage[];
  notificationRows: NotificationRow[];
  jobHealth: JobHealth;
  sentTestEmails: string[];
}

export function memoryPort(o: MemoryPortOptions): MemoryPort {
  const ring: RingKey[] = [];
  const secret = randomBytes(32);
  let threshold = 90;
  const used = () => port.projects.reduce((sum, p) => sum + p.loc, 0);
  const choices = { retired: new Set<string>(), chosen: null as { lid: string; afterId: number } | null };
  const snap = () => buildSnapshot({ serverId: o.serverId, keys: ring, facts: { bridges: [], locUsed: used(), threshold, keyChoices: choices }, now: o.now() });
  const snapshot = (): LicenseStatus => snap().status;
  const stored = (lid: string) => {
    const key = ring.find((k) => k.lid === lid);
    if (!key) throw new LicenseError('VALIDATION_FAILED', { detail: `No stored key has the license ID ${lid}.`, data: { field: 'lid' } });
    return key;
  };

  const port: MemoryPort = {
    productName: 'Code Scanner',
    productVersion: '3.2.1',
    moduleVersion: '0.1.0',
    supportEmail: o.supportEmail,
    authorize: o.authorize ?? (() => true),
    actorOf: () => 'admin',
    status: snapshot,
    async setLicense(key, { actor }) {
      const { payload } = await verifyLicenseKey(key, { publicKeys: o.publicKeys });
      checkAcceptable(payload, o.serverId, o.now());
      ring.push({ id: ring.length + 1, lid: payload.lid, compact: key.trim(), payload, setBy: actor, setAt: o.now(), source: 'database' });
      return snapshot();
    },
    async previewLicense(key) {
      const { payload } = await verifyLicenseKey(key, { publicKeys: o.publicKeys });
      checkAcceptable(payload, o.serverId, o.now());
      return { license: payload, state: evaluateKey(payload, o.serverId, o.now()), changes: compareLicenses(snapshot().license, payload) };
    },
    async activateKey(lid) {
      const key = stored(lid);
      choices.retired.delete(key.lid);
      choices.chosen = { lid: key.lid, afterId: ring.length };
      return snapshot();
    },
    async retireKey(lid) {
      const key = stored(lid);
      if (snap().current?.key === key)
        throw new LicenseError('VALIDATION_FAILED', { detail: 'The current license cannot be retired.', data: { field: 'lid' } });
      choices.retired.add(key.lid);
      return snapshot();
    },
    // self-service extensions need their table: the real manager's tests cover them
    async extend() {
      throw new LicenseError('EXTENSION_NOT_AVAILABLE', { detail: 'The memory port does not record extensions.' });
    },
    keyText: async (lid) => stored(lid).compact,
    async setLocThreshold(percent) {
      threshold = percent;
      return snapshot();
    },
    async keyHistory(): Promise<StoredKey[]> {
      const current = selectCurrent(ring, o.serverId, o.now(), [], choices);
      return [...ring].reverse().map((k) => ({
        id: k.id,
        lid: k.lid,
        licensee: k.payload!.licensee,
        type: k.payload!.type,
        edition: k.payload!.edition,
        serverId: k.payload!.serverId,
        exp: k.payload!.exp,
        nbf: k.payload!.nbf,
        setBy: k.setBy,
        setAt: k.setAt.toISOString(),
        source: k.source,
        state: stateOf(k, o.serverId, o.now()).state,
        current: current?.key === k,
        retired: choices.retired.has(k.lid),
      }));
    },
    async locUsage({ limit, after }) {
      const ranked = [...port.projects].sort((a, b) => b.loc - a.loc || (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
      const from = after ? ranked.findIndex((p) => p.loc < after.loc || (p.loc === after.loc && p.project > after.project)) : 0;
      const rest = from < 0 ? [] : ranked.slice(from);
      const projects = rest.slice(0, limit);
      const last = projects[projects.length - 1];
      return { total: ranked.length, projects, next: rest.length > limit && last ? { loc: last.loc, project: last.project } : null };
    },
    async *locUsageChunks() {
      yield (await port.locUsage({ limit: port.projects.length, after: null })).projects;
    },
    csrfSecret: async () => secret,
    async serverIdEvents() {
      return [];
    },
    async database() {
      return { kind: 'memory', version: '0' };
    },
    async audit() {
      return [];
    },
    metrics: metricsEndpoint({ status: snapshot, operations: () => undefined }),
    projects: [],
    notificationRows: [],
    jobHealth: { mailConfigured: false, adminsWithoutEmail: [], lastRun: null },
    sentTestEmails: [],
    jobs: {
      notifications: async (limit = 50, before = null) => port.notificationRows.filter((n) => before === null || n.id < before).slice(0, limit),
      jobRuns: async () => [],
      health: async () => port.jobHealth,
      locHistory: async () => [],
      sendTestEmail: async (actor) => {
        port.sentTestEmails.push(actor);
        return { recipients: 1 };
      },
    },
    now: o.now,
  };
  return port;
}
