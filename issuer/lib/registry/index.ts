/** The vendor registry (SPEC 11): customers, subscriptions, issued and emergency licenses. */
export { openVendorRegistry, DEFAULT_REGISTRY_URL, type VendorRegistry, type VendorRegistryOptions } from './registry.js';
export type {
  Account,
  Subscription,
  IssuedLicense,
  IssueRequest,
  EmergencyRequest,
  EmergencyResult,
  Revocation,
  RevocationList,
  LicenseStatus,
} from './types.js';
export { REVOCATIONS_TYP } from './revocations.js';
export type { UsageImport, UsageMonth, UsageSummary } from './usage.js';
export { DEFAULT_MOVE_BUDGET, type Move, type MoveImport, type MoveStatus } from './moves.js';
export { usageMessages } from './usage-messages.js';
export { licenseStatus, type Entitlements, type RegistryAdmin } from './admin.js';
export type { RegistryEvent, LicenseRequest } from './admin-store.js';
export { accountName, normaliseCompany } from './account-name.js';
export { smtpMailer, emergencyMail, type Mailer, type MailMessage } from './mailer.js';
export { buildEmergencyPayload, EMERGENCY_DURATION_SECONDS, EMERGENCY_LICENSEE } from './emergency.js';
export { describeRestore, type EmergencyPreview } from './issue-emergency.js';
export {
  checkEmergencyEligible,
  checkInstanceFree,
  checkProductionInstance,
  checkStagingServerId,
  checkContractRunning,
  contractExp,
  datasetPart,
  graceEndsAt,
  isPaidPlan,
  EMERGENCY_WINDOW_MS,
  UNPAID_PLANS,
  type EmergencyFacts,
} from './rules.js';
export { registryMessages } from './messages.js';
