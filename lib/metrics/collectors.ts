/**
 * The Prometheus metrics of SPEC 17.1 as prom-client gauges whose `collect()` copies figures
 * from what the runtime already holds: a scrape serialises the snapshot, it never queries.
 */
import { Gauge, type Registry } from 'prom-client';
import { graceEnd } from '../keys/claims.js';
import type { LicenseState, LicenseStatus } from '../license/types.js';

/** Every state of SPEC 5.1, plus `revoked` (SPEC 18.2). */
export const METRIC_STATES: readonly (LicenseState | 'revoked')[] = [
  'none',
  'invalid',
  'wrong_server',
  'not_yet_valid',
  'active',
  'expiring',
  'grace',
  'expired',
  'revoked',
];

/** The figures a scrape reads; undefined before the first refresh. */
export interface MetricsSource {
  status(): LicenseStatus | undefined;
  /** what the last refresh read of the job and the outbox */
  operations(): { notificationsPending: number; jobLastSuccessAt: number | null } | undefined;
}

/** `status().users` (SPEC 16) where this version has it. */
function usersOf(status: LicenseStatus): { used: number; limit: number | null } | undefined {
  const users = (status as { users?: { used?: unknown; limit?: unknown } }).users;
  if (!users || typeof users.used !== 'number') return undefined;
  return { used: users.used, limit: typeof users.limit === 'number' ? users.limit : null };
}

/**
 * Adds the collectors to `registry`. Gauges without labels read 0 when there is nothing to say
 * (no license, no successful run): prom-client always exposes them, so the shipped alert rules
 * test for `> 0`.
 */
export function registerLicenseMetrics(registry: Registry, source: MetricsSource): void {
  if (registry.getSingleMetric('license_info')) throw new TypeError('The license metrics are already registered in this registry.');
  const registers = [registry];
  new Gauge({
    name: 'license_info',
    help: 'The current license (value 1).',
    labelNames: ['server_id', 'license_id', 'type', 'edition'] as const,
    registers,
    collect() {
      this.reset();
      const s = source.status();
      if (s) this.set({ server_id: s.serverId, license_id: s.license?.lid ?? '', type: s.license?.type ?? '', edition: s.license?.edition ?? '' }, 1);
    },
  });
  new Gauge({
    name: 'license_state',
    help: 'The license state: 1 for the current state, 0 for the others.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const state = source.status()?.state as string | undefined;
      for (const s of METRIC_STATES) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'license_expiry_timestamp_seconds',
    help: 'End of the current license (exp), Unix seconds; 0 without a license.',
    registers,
    collect() {
      this.set(source.status()?.license?.exp ?? 0);
    },
  });
  new Gauge({
    name: 'license_grace_end_timestamp_seconds',
    help: 'End of the grace period of the current license (exp + grace, moved by self-service extensions), Unix seconds; 0 without a license.',
    registers,
    collect() {
      const s = source.status();
      const license = s?.license;
      this.set(license ? Math.max(graceEnd(license), s?.details.graceEndsAt ? Date.parse(s.details.graceEndsAt) / 1000 : 0) : 0);
    },
  });
  new Gauge({
    name: 'license_next_start_timestamp_seconds',
    help: 'Start (nbf) of the next license, which takes over from the current one by itself, Unix seconds; 0 without one (SPEC 22).',
    registers,
    collect() {
      const next = source.status()?.next;
      this.set(next ? Date.parse(next.startsAt) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'license_extensions_used',
    help: 'Self-service extensions used of the current license on this server (SPEC 22).',
    registers,
    collect() {
      const s = source.status();
      const ext = s?.extension;
      this.set(ext && ext.lid === s?.license?.lid ? ext.used : 0);
    },
  });
  new Gauge({
    name: 'license_limit',
    help: 'The licensed limit per resource; absent when unlimited.',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      this.reset();
      const s = source.status();
      if (!s) return;
      if (s.loc.limit !== null) this.set({ resource: 'loc' }, s.loc.limit);
      const users = usersOf(s);
      if (users?.limit != null) this.set({ resource: 'users' }, users.limit);
    },
  });
  new Gauge({
    name: 'license_usage',
    help: 'What is in use per resource (lines of code, active users).',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      this.reset();
      const s = source.status();
      if (!s) return;
      this.set({ resource: 'loc' }, s.loc.used);
      const users = usersOf(s);
      if (users) this.set({ resource: 'users' }, users.used);
    },
  });
  new Gauge({
    name: 'license_loc_threshold_ratio',
    help: 'The LOC notification threshold set by administrators, as a ratio of the limit.',
    registers,
    collect() {
      this.set((source.status()?.loc.threshold ?? 0) / 100);
    },
  });
  new Gauge({
    name: 'license_notifications_pending',
    help: 'Notifications (mail and webhook deliveries) not yet delivered.',
    registers,
    collect() {
      this.set(source.operations()?.notificationsPending ?? 0);
    },
  });
  new Gauge({
    name: 'license_job_last_success_timestamp_seconds',
    help: 'End of the last successful run of the daily job, Unix seconds; 0 before the first.',
    registers,
    collect() {
      const at = source.operations()?.jobLastSuccessAt;
      this.set(at ? at / 1000 : 0);
    },
  });
}
