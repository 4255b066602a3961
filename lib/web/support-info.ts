import { graceLastDay, lastValidDay } from '../license/dates.js';
import type { WebPort } from './port.js';
import { redactText } from '../redact.js';

const MODULE_NAME = 'license-manager';

/** Stored errors are codes and sentences already; rows written by older versions may not be. */
const redact = (text: string | undefined): string | undefined => (text === undefined ? undefined : redactText(text));

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * The support information file of SPEC 8: what the vendor's support needs to understand an
 * instance, and nothing secret — no key text, no licensee email, no administrator names or
 * addresses, no connection strings.
 */
export async function supportInfo(port: WebPort, now: Date): Promise<Record<string, unknown>> {
  const status = port.status();
  const license = status.license;
  const [database, events, runs, health, keys] = await Promise.all([
    port.database(),
    port.serverIdEvents(),
    port.jobs.jobRuns(20),
    port.jobs.health(),
    port.keyHistory(),
  ]);
  return {
    generatedAt: now.toISOString(),
    serverId: status.serverId,
    // SPEC 18.1: the thumbprint of the key that signs this instance's usage reports
    instanceKeyId: port.offline?.instanceKeyId() ?? null,
    product: { name: port.productName, version: port.productVersion },
    module: { name: MODULE_NAME, version: port.moduleVersion },
    edition: license?.edition ?? null,
    license: license && {
      lid: license.lid,
      sub: license.sub,
      licensee: license.licensee,
      type: license.type,
      edition: license.edition,
      serverId: license.serverId,
      features: license.features,
      limits: license.limits,
      tags: license.tags,
      issuedAt: iso(license.iat),
      validFrom: iso(license.nbf),
      expiresAt: iso(license.exp),
      // SPEC 16: the days people read, by the one convention (the raw instants stay above)
      validUntil: lastValidDay(license.exp),
      graceUntil: graceLastDay(license),
      graceDays: license.grace ?? null,
    },
    state: status.state,
    details: status.details,
    warnings: status.warnings,
    loc: status.loc,
    keys: keys.map((k) => ({
      lid: k.lid,
      type: k.type,
      edition: k.edition,
      serverId: k.serverId,
      expiresAt: iso(k.exp),
      validUntil: k.exp ? lastValidDay(k.exp) : null,
      setAt: k.setAt,
      source: k.source,
      state: k.state,
      current: k.current,
    })),
    database,
    serverIdEvents: events,
    jobRuns: runs.map((r) => ({ ...r, error: redact(r.error) })),
    mail: {
      configured: health.mailConfigured,
      adminsWithoutEmail: health.adminsWithoutEmail.length,
      lastRun: health.lastRun && { ...health.lastRun, error: redact(health.lastRun.error) },
    },
  };
}
