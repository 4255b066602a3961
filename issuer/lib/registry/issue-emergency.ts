import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { signLicenseKey } from 'license-manager/formats';
import { buildEmergencyPayload } from './emergency.js';
import { requireAccount } from './lookup.js';
import { emergencyMail, type Mailer } from './mailer.js';
import { registryMessages as m } from './messages.js';
import { checkEmergencyEligible, isPaidPlan } from './rules.js';
import * as store from './store.js';
import type { EmergencyRequest, EmergencyResult } from './types.js';
import { email, text } from './validate.js';

/** What an emergency key would turn on, and the license it restores them from (issue 23.1). */
export interface EmergencyPreview {
  account: string;
  edition: string;
  features: string[];
  limits: { users?: number; loc?: number };
  restoredFrom: { lid: string; subscription: string; plan: string; exp: Date };
}

/**
 * What an emergency license for `account` would hold, judged at `at`, or the refusal that says
 * why there is none (EMERGENCY_NOT_ELIGIBLE). Shown before issuing, on the form and by the CLI.
 */
export async function previewEmergency(db: Knex, at: Date, o: { account: string; users?: number }): Promise<EmergencyPreview> {
  const owner = await requireAccount(db, o.account);
  const subs = await store.subscriptionsOf(db, owner.pk);
  const paid = subs.filter((s) => isPaidPlan(s.plan));
  const restorable = await store.lastRestorableLicense(
    db,
    owner.pk,
    paid.map((s) => s.id),
  );
  const anyLicense = restorable !== undefined || (await store.lastRegularLicense(db, owner.pk)) !== undefined;
  checkEmergencyEligible(
    {
      account: owner.name,
      prospect: owner.prospect,
      plans: subs.map((s) => s.plan),
      anyLicense,
      lastLicense: restorable ? { lid: restorable.lid, exp: restorable.claims.exp, grace: restorable.grace } : null,
    },
    at,
  );
  const from = restorable!;
  const loc = from.claims.limits?.loc;
  return {
    account: owner.name,
    edition: from.claims.edition,
    features: [...from.claims.features],
    limits: { ...(o.users !== undefined ? { users: o.users } : {}), ...(loc !== undefined ? { loc } : {}) },
    restoredFrom: { lid: from.lid, subscription: from.subscription!, plan: paid.find((s) => s.id === from.subscription)!.plan, exp: from.exp },
  };
}

/** One line of what an emergency key turns on, for the CLI and the portal. */
export function describeRestore(p: EmergencyPreview): string {
  const limits = [
    p.limits.users !== undefined ? `${p.limits.users.toLocaleString('en')} users` : undefined,
    p.limits.loc !== undefined ? `${p.limits.loc.toLocaleString('en')} lines of code` : 'no lines-of-code limit',
  ].filter(Boolean);
  return `edition ${p.edition}; features ${p.features.length ? p.features.join(', ') : '(none: the license it restores had none)'}; ${limits.join(', ')} — restored from production license ${p.restoredFrom.lid} (${p.restoredFrom.plan}, subscription ${p.restoredFrom.subscription})`;
}

/**
 * A 10-day emergency license (SPEC 11): eligibility judged at `at`, signed, recorded with who
 * issued it and for which ticket, then mailed; the mail's outcome is recorded beside it.
 */
export async function issueEmergency(db: Knex, at: Date, mailer: Mailer | undefined, o: EmergencyRequest): Promise<EmergencyResult> {
  if (!Number.isSafeInteger(o.users) || o.users < 1) throw new LicenseError('VALIDATION_FAILED', { detail: m.usersRequired() });
  const to = email(o.email);
  const issuedBy = text(o.issuedBy, 'issued-by (who issues it)');
  const ticket = text(o.ticket, 'The ticket reference');
  const preview = await previewEmergency(db, at, { account: o.account, users: o.users });
  const owner = await requireAccount(db, o.account);
  const payload = buildEmergencyPayload({
    users: o.users,
    sub: preview.restoredFrom.subscription,
    edition: preview.edition,
    features: preview.features,
    loc: preview.limits.loc,
    now: at,
  });
  const key = await signLicenseKey(payload, o.privateJwk);
  // NOTE: recorded before mailing: the key exists from now on, whatever the mail does.
  await store.insertLicense(db, {
    claims: payload,
    key,
    subscription: preview.restoredFrom.subscription,
    accountPk: owner.pk,
    emergency: true,
    grace: 0,
    issuedBy,
    issuedAt: at,
    ticket,
    emailTo: to,
    emailOutcome: m.emailPending(to),
  });
  let outcome: string;
  let emailed = false;
  try {
    const via = o.mailer ?? mailer;
    if (!via) throw new Error(m.noSmtp());
    await via.send(emergencyMail({ to, key, payload, ticket }));
    outcome = m.emailSent(to, o.users);
    emailed = true;
  } catch (err) {
    outcome = m.emailFailed(to, err instanceof Error ? err.message : String(err));
  }
  await store.setEmailOutcome(db, payload.lid, outcome);
  return { license: (await store.findLicense(db, payload.lid))!, emailed, restored: preview };
}
