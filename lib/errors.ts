/**
 * The one error type of the module. Callers switch on `code`, never on the message text.
 * Sentences live in `messages` so that the page, the CLI and the API say the same thing.
 */

export const messages = {
  KEY_MALFORMED: 'This is not a license key: a key is three base64url parts separated by dots.',
  KEY_TOO_LARGE: 'This license key is larger than 16 KiB, so it was not read.',
  KEY_ALG_UNSUPPORTED: 'This license key uses a signature algorithm that is not accepted (only EdDSA and ES256 are).',
  KEY_UNKNOWN_KID: 'This license key was signed by a vendor key that this installation does not trust.',
  KEY_BAD_SIGNATURE: 'The signature of this license key does not match its content: it was altered or damaged.',
  KEY_CLAIMS_INVALID: 'This license key is signed, but its content is not a valid license.',
  SERVER_ID_MISMATCH: 'This license key was issued for another server ID.',
  LICENSE_NOT_YET_VALID: 'This license is not valid yet.',
  LICENSE_EXPIRED: 'This license has expired.',
  LOC_LIMIT_EXCEEDED: 'This analysis would take the lines of code over the licensed limit.',
  USER_LIMIT_EXCEEDED: 'The number of users is over the licensed limit.',
  FORBIDDEN: 'You are not allowed to do this: only global administrators manage the license.',
  CSRF_REJECTED: 'The form expired or did not come from this page. Reload the page and try again.',
  VALIDATION_FAILED: 'The request is not valid.',
  FEATURE_NOT_LICENSED: 'This feature is not included in the current license.',
  // the offline trade (SPEC 18)
  REVOCATIONS_STALE: 'This revocation list is not newer than the one already in force.',
  LICENSE_REVOKED: 'This license key was revoked by the vendor.',
  // audit log (SPEC 17.3)
  AUDIT_CHAIN_BROKEN: 'The audit log was altered: an entry does not match its hash.',
  // database faults (SPEC 15.2)
  DATABASE_UNAVAILABLE: 'The database cannot be reached right now, so nothing was changed. Try again in a moment.',
  // secrets and hostile input (SPEC 15.6)
  MAIL_FAILED: 'The email could not be sent: the mail server failed or refused it. The details are in the server log.',
  // safe upgrades (SPEC 24)
  SCHEMA_NEWER: 'The database was upgraded by a newer version of license-manager: this node serves the license read-only until it is upgraded too.',
  // continuity without the vendor (SPEC 22)
  EXTENSION_NOT_AVAILABLE: 'A self-service extension is not available for this license now.',
  // SPEC 22: a move without a ticket, refused by the vendor's tools
  MOVE_REJECTED: 'This move request was refused.',
} as const;

export type LicenseErrorCode = keyof typeof messages;

/** HTTP status for each code, used by the router's error middleware. */
const statuses: Record<LicenseErrorCode, number> = {
  KEY_MALFORMED: 422,
  KEY_TOO_LARGE: 422,
  KEY_ALG_UNSUPPORTED: 422,
  KEY_UNKNOWN_KID: 422,
  KEY_BAD_SIGNATURE: 422,
  KEY_CLAIMS_INVALID: 422,
  SERVER_ID_MISMATCH: 422,
  LICENSE_NOT_YET_VALID: 422,
  LICENSE_EXPIRED: 422,
  LOC_LIMIT_EXCEEDED: 409,
  USER_LIMIT_EXCEEDED: 409,
  FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  VALIDATION_FAILED: 400,
  FEATURE_NOT_LICENSED: 403,
  REVOCATIONS_STALE: 409,
  LICENSE_REVOKED: 422,
  AUDIT_CHAIN_BROKEN: 409,
  DATABASE_UNAVAILABLE: 503,
  MAIL_FAILED: 502,
  // NOTE: 503, not 409: the request is fine and an upgraded node (or this one, once upgraded) takes it
  SCHEMA_NEWER: 503,
  EXTENSION_NOT_AVAILABLE: 409,
  MOVE_REJECTED: 422,
};

export interface LicenseErrorOptions {
  /** A more precise sentence than the default one for the code. */
  detail?: string;
  cause?: unknown;
  /** Structured facts (the claim at fault, the two server IDs, ...). */
  data?: Record<string, unknown>;
}

/**
 * What every coded error of both packages is: a stable `code` to switch on, the HTTP `status` it
 * answers with, a sentence, and structured facts. The instance throws `LicenseError`; the vendor's
 * package (`license-manager-issuer`) has its own codes on the same base.
 */
// NOTE: a brand, not instanceof: the issuer package and the embed can each load their own copy of
// this module (two installs, or CommonJS beside ESM in a test runner), and a coded error from one is
// still a coded error to the other.
const CODED_ERROR = Symbol.for('license-manager.coded-error');

export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  readonly status: number;
  readonly data: Record<string, unknown>;

  constructor(code: C, message: string, status: number, options: Pick<LicenseErrorOptions, 'cause' | 'data'> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
    this.data = options.data ?? {};
    Object.defineProperty(this, CODED_ERROR, { value: true });
  }

  toJSON(): { code: C; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The instance's error: one of the codes in `messages`. */
export class LicenseError extends CodedError<LicenseErrorCode> {
  override readonly name: string = 'LicenseError';

  constructor(code: LicenseErrorCode, options: LicenseErrorOptions = {}) {
    super(code, options.detail ?? messages[code], statuses[code], options);
  }
}

export function isLicenseError(err: unknown): err is LicenseError {
  return err instanceof LicenseError;
}

/** Any coded error of either package, from any copy of this module. */
export function isCodedError(err: unknown): err is CodedError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[CODED_ERROR] === true;
}
