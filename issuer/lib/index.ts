/** The vendor side: make signing keys and sign license keys. */
export { generateKeyPair, signLicenseKey, type VendorKeyPair } from 'license-manager/formats';
export { thumbprint, type PrivateJwk, type PublicJwk } from 'license-manager/formats';
export { buildPayload, type IssueOptions } from 'license-manager/formats';
export type { LicensePayload, LicenseType } from 'license-manager/formats';
export * from './registry/index.js';
export { createVendorPortal, type VendorPortal, type VendorPortalOptions } from './portal/index.js';
export { ROLES as PORTAL_ROLES, ROLE_PERMISSIONS, type Role as PortalRole } from './portal/permissions.js';
