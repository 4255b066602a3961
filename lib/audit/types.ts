/** What the audit log records (SPEC 17.3). */
export const AUDIT_ACTIONS = [
  'license_set',
  'license_refused',
  'license_activated',
  'license_retired',
  'threshold_changed',
  'test_email',
  'server_id_changed',
  'clock_reset',
  'revocations_set',
  /** SPEC 22: a self-service extension used (`{ lid, use, uses, days, until }`) */
  'license_extended',
  /** SPEC 22: a move request made after the server ID changed (`{ oldServerId, newServerId, lid }`) */
  'move_requested',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** A JSON value that the canonical form covers: no undefined, no functions, no NaN. */
export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

export type AuditDetail = Record<string, AuditValue>;

/** One chained entry. `hash` = hex SHA-256 of `prevHash` + canonical JSON of `{ id, at, actor, action, detail }`. */
export interface AuditEntry {
  id: number;
  /** ISO 8601, millisecond precision */
  at: string;
  actor: string;
  action: AuditAction;
  detail: AuditDetail;
  prevHash: string;
  hash: string;
}

/** What a caller gives to `appendAudit`. */
export interface AuditInput {
  at: Date;
  /** a person's or a tool's name, never an address */
  actor: string;
  action: AuditAction;
  detail?: AuditDetail;
}

export type AuditVerification =
  | { ok: true; entries: number /** the last entry's hash (the genesis hash for an empty log) */; hash?: string }
  | { ok: false; entries: number; id: number; reason: string };

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
