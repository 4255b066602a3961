import type { Knex } from 'knex';
import { isLicenseError } from '../errors.js';
import type { Logger } from '../host.js';
import { appendAudit } from './log.js';

/**
 * Codes that say the database or mail failed, not that the input was refused; SCHEMA_NEWER: this
 * node writes nothing to a database a newer version migrated, not even the log; AUDIT_CHAIN_BROKEN:
 * the log itself cannot take the entry.
 */
const NOT_A_REFUSAL = new Set(['DATABASE_UNAVAILABLE', 'MAIL_FAILED', 'SCHEMA_NEWER', 'AUDIT_CHAIN_BROKEN']);

/**
 * Records a refused license key with its code (never the key or its text), then lets the
 * refusal go on to the caller. A log that cannot be written (the database is down) is logged:
 * the administrator must still hear why the key was refused.
 */
export async function auditRefusal(knex: Knex, logger: Logger, at: Date, actor: string, err: unknown): Promise<void> {
  if (!isLicenseError(err) || NOT_A_REFUSAL.has(err.code)) return;
  try {
    await appendAudit(knex, { at, actor, action: 'license_refused', detail: { code: err.code } });
  } catch (cause) {
    logger.error('The refused license key could not be written to the audit log', { code: err.code, error: (cause as Error).message });
  }
}
