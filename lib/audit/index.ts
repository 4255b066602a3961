/**
 * The tamper-evident audit log (SPEC 17.3): who did what to the license, as a hash chain in
 * `license_audit`, one chain per database even when several nodes write at once.
 *
 * How other modules append: call `appendAudit(knex, { at, actor, action, detail })` after (or,
 * given a transaction, inside) the change it records, with the injected clock's `at`, the
 * actor's name (`actorOf(req)` for a page or API action, `--actor` for the CLI, `system` for the
 * module itself) and one of the actions `license_set` (`{ lid }`), `license_refused`
 * (`{ code }`, the `LicenseError` code, never the key or its text), `license_activated` and
 * `license_retired` (`{ lid }`), `threshold_changed` (`{ from, to }`), `test_email`
 * (`{ recipients }`, a count, and `{ code }` when it failed), `server_id_changed`
 * (`{ oldId, newId }`), `clock_reset` (`{ from, to }`, the marks as ISO dates) and
 * `revocations_set` (`{ number, revoked }`). `detail` never holds a key text or an email
 * address: `appendAudit` throws a TypeError if it does. `verifyAudit(knex)` names the first entry
 * whose hash does not hold; `license-manager audit verify --db URL` runs it.
 * @example
 * await appendAudit(knex, { at: now(), actor: actorOf(req), action: 'threshold_changed', detail: { from: 90, to: 80 } });
 */
export { appendAudit, auditedTransaction, listAudit, parseAuditHead, readAuditHead, verifyAudit, verifyAuditHead, type AuditHead } from './log.js';
export { auditMessages } from './messages.js';
export { auditRefusal } from './record.js';
export { canonicalJson, entryHash } from './chain.js';
export { actorName } from './detail.js';
export { AUDIT_ACTIONS, GENESIS_HASH, type AuditAction, type AuditDetail, type AuditEntry, type AuditInput, type AuditVerification } from './types.js';
