import type { LicensePayload } from 'license-manager/formats';
import type { PrivateJwk } from 'license-manager/formats';

/** A customer account, named `Company_Name-UniqueAccountID`. */
export interface Account {
  name: string;
  company: string;
  accountId: string;
  /** Not a customer yet: keys wait for a sales approval, no emergency license. */
  prospect: boolean;
  createdAt: Date;
}

/** A subscription: one contract, one production instance. */
export interface Subscription {
  id: string;
  /** Account name. */
  account: string;
  plan: string;
  /** Last day of the contract, `YYYY-MM-DD`; the production key's `exp` is the next midnight UTC. */
  ends: string;
  users: number | null;
  loc: number | null;
  edition: string;
  /** The production instance bound by its first production key, or null. */
  productionServerId: string | null;
  /** The CRM's ID of this subscription (not its number), or null. */
  crmSubscriptionId: string | null;
  /** Access to the vendor's hosted services; read by them through `registry.entitlements()`. */
  hostedServices: boolean;
  /** When the subscription was archived (its licenses revoked), and why. */
  archivedAt: Date | null;
  archiveReason: string | null;
  createdAt: Date;
}

/** A license as the registry recorded it when it was issued. */
export interface IssuedLicense {
  lid: string;
  subscription: string | null;
  account: string;
  type: LicensePayload['type'];
  emergency: boolean;
  serverId: string;
  claims: LicensePayload;
  /** The key text, so support can send it again. */
  key: string;
  exp: Date;
  grace: number;
  issuedBy: string;
  issuedAt: Date;
  ticket: string | null;
  emailTo: string | null;
  /** `[Success] - Created a license under EMAIL for N users`, or `[Failed] - …` with the reason. */
  emailOutcome: string | null;
  /** The CRM opportunity the key was issued for, or null. */
  opportunityId: string | null;
  revokedAt: Date | null;
  revokeReason: string | null;
  revokedBy: string | null;
}

/** What a license is now, as the vendor sees it. */
export type LicenseStatus = 'active' | 'expired' | 'revoked';

export interface IssueRequest {
  privateJwk: PrivateJwk;
  subscription: string;
  serverId: string;
  type?: 'production' | 'staging';
  features?: readonly string[];
  /** Carried into the key as given, e.g. `true-up`, `instance:test`. */
  tags?: readonly string[];
  /** Recorded as who issued it; default `vendor`. */
  issuedBy?: string;
  /** Default the subscription's limits; null for no limit. */
  users?: number | null;
  loc?: number | null;
  /** Last valid day `YYYY-MM-DD`; default (and for production, necessarily) the contract end. */
  expires?: string;
  opportunityId?: string;
  /** Who in sales approved a key for a prospect account (required for those). */
  approvedBy?: string;
  /** SPEC 22: the self-service extension the key allows (its `ext` claim): days 1–30 per use, 1–3 uses */
  extension?: { days: number; uses: number } | null;
}

/** An emergency license request. There is deliberately no duration: it is always 10 days. */
export interface EmergencyRequest {
  privateJwk: PrivateJwk;
  account: string;
  users: number;
  email: string;
  issuedBy: string;
  ticket: string;
  /** Mails through this one instead of the registry's (the portal's own mail settings). */
  mailer?: import('./mailer.js').Mailer;
}

export interface EmergencyResult {
  license: IssuedLicense;
  /** True when the SMTP server accepted the mail. */
  emailed: boolean;
  /** What the key turns on and the production license it restores them from. */
  restored: import('./issue-emergency.js').EmergencyPreview;
}

/** A revoked license (SPEC 18.2). */
export interface Revocation {
  lid: string;
  reason: string;
  issuedBy: string;
  at: Date;
}

/** A signed revocation list, ready to hand to the customer. */
export interface RevocationList {
  number: number;
  issuedAt: Date;
  /** `at` in Unix seconds, as in the signed payload */
  revoked: { lid: string; at: number }[];
  /** the compact JWS, `typ: license-revocations+jws` */
  text: string;
}
