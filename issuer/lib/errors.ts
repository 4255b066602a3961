import { CodedError, type LicenseErrorOptions } from 'license-manager/formats';

/** The vendor's refusals (the instance's codes are `LicenseErrorCode`, in the embed). */
export const vendorMessages = {
  SUBSCRIPTION_INSTANCE_TAKEN: 'This subscription already has a production instance with another server ID.',
  EMERGENCY_NOT_ELIGIBLE: 'An emergency license cannot be issued for this account.',
  USAGE_REPORT_REJECTED: 'This usage report was refused.',
  // SPEC 22: a move request whose signature, pinned instance key or subscription does not match
  MOVE_REJECTED: 'This move request was refused.',
  LOGIN_FAILED: 'The name or the password is not right.',
  LOGIN_LOCKED: 'Too many failed sign-ins: this name is locked for 15 minutes.',
  API_TOKEN_INVALID: 'The API token is missing, unknown or revoked: send "Authorization: Bearer <token>" with a token an admin made for you.',
  SSO_FAILED: 'The sign-in through your identity provider did not complete; start again from the sign-in page.',
  SSO_NO_ROLE: 'None of your groups is given a role in the portal, so you cannot sign in yet: ask a portal admin to map one of your groups to a role.',
} as const;

export type VendorErrorCode = keyof typeof vendorMessages;

const vendorStatuses: Record<VendorErrorCode, number> = {
  SUBSCRIPTION_INSTANCE_TAKEN: 409,
  EMERGENCY_NOT_ELIGIBLE: 409,
  USAGE_REPORT_REJECTED: 422,
  MOVE_REJECTED: 422,
  LOGIN_FAILED: 401,
  LOGIN_LOCKED: 429,
  API_TOKEN_INVALID: 401,
  SSO_FAILED: 400,
  SSO_NO_ROLE: 403,
};

/** A refusal of the vendor's tools: a stable code, its HTTP status and a sentence. */
export class VendorError extends CodedError<VendorErrorCode> {
  override readonly name: string = 'VendorError';

  constructor(code: VendorErrorCode, options: LicenseErrorOptions = {}) {
    super(code, options.detail ?? vendorMessages[code], vendorStatuses[code], options);
  }
}
