/**
 * License Manager: the host side. What is exported here is the public surface.
 */
export { LicenseError, isLicenseError, messages, type LicenseErrorCode } from './errors.js';
export { verifyLicenseKey } from './keys/verify.js';
export type { LicenseHeader, LicensePayload, LicenseType } from './keys/claims.js';
export type { PublicJwk } from './keys/jwk.js';
