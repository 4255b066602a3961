/** The vendor side: make signing keys and sign license keys. */
export { generateKeyPair, signLicenseKey, type VendorKeyPair } from '../keys/sign.js';
export { thumbprint, type PrivateJwk, type PublicJwk } from '../keys/jwk.js';
export { buildPayload, type IssueOptions } from './payload.js';
export type { LicensePayload, LicenseType } from '../keys/claims.js';
export * from './registry/index.js';
export { createVendorPortal, type VendorPortal, type VendorPortalOptions } from './portal/index.js';
export { ROLES as PORTAL_ROLES, ROLE_PERMISSIONS, type Role as PortalRole } from './portal/permissions.js';
