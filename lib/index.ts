/**
 * License Manager: the host side. What is exported here is the public surface.
 */
export { LicenseError, isLicenseError, messages, type LicenseErrorCode } from './errors.js';
export { verifyLicenseKey } from './keys/verify.js';
export type { LicenseHeader, LicensePayload, LicenseType } from './keys/claims.js';
export type { PublicJwk } from './keys/jwk.js';
export { createLicenseManager, type LicenseManager } from './manager.js';
export type { LicenseManagerOptions } from './manager-options.js';
export type { LicenseState, LicenseStatus, LocStatus, Warning, StoredKey, ProjectUsage, ServerIdEvent } from './license/types.js';
export type { GlobalAdmin, MailOptions, Logger } from './host.js';
export type { JobRunResult } from './jobs/port.js';
export type { LimitDecision } from './usage/limits.js';
export type { Analysis } from './usage/loc.js';
