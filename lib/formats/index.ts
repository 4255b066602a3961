/**
 * `license-manager/formats`: what the instance and the vendor's tools both read and write — license
 * keys and their claims, key pairs, signed documents (usage reports, revocation lists), the one error
 * type — with no side effects: importing it loads no express, no knex and no database driver.
 * `license-manager-issuer` depends on it; a host rarely needs it (verification is in the main export).
 */
export { CodedError, isCodedError, LicenseError, isLicenseError, messages, type LicenseErrorCode, type LicenseErrorOptions } from '../errors.js';
export { DAY_SECONDS, DAY_MS } from '../time.js';
export { decodeBase64url, encodeBase64url, isBase64url } from '../keys/base64url.js';
export * from '../keys/claims.js';
export * from '../keys/jwk.js';
export * from '../keys/parse.js';
export * from '../keys/verify.js';
export * from '../keys/sign.js';
export * from '../keys/payload.js';
export * from '../keys/document.js';
export * from '../license/dates.js';
export * from '../usage-report/build.js';
export * from '../revocations/verify.js';
export { deriveInstanceKey, type InstanceKey } from '../instance-key/derive.js';
export * from '../move/format.js';
