import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { signLicenseKey } from 'license-manager/formats';
import { buildEmergencyPayload } from './emergency.js';
import { requireAccount } from './lookup.js';
import { emergencyMail, type Mailer } from './mailer.js';
import { registryMessages as m } from './messages.js';
import { checkEmergencyEligible } from './rules.js';
import * as store from './store.js';
import type { EmergencyRequest, EmergencyResult } from './types.js';
import { email, text } from './validate.js';

/**
 * A 10-day emergency license (SPEC 11): eligibility judged at `at`, signed, recorded with who
 * issued it and for which ticket, then mailed; the mail's outcome is recorded beside it.
 */
export async function issueEmergency(db: Knex, at: Date, mailer: Mailer | undefined, o: EmergencyRequest): Promise<EmergencyResult> {
  if (!Number.isSafeInteger(o.users) || o.users < 1) throw new LicenseError('VALIDATION_FAILED', { detail: m.usersRequired() });
  const to = email(o.email);
  const issuedBy = text(o.issuedBy, 'issued-by (who issues it)');
  const ticket = text(o.ticket, 'The ticket reference');
  const owner = await requireAccount(db, o.account);
  const subs = await store.subscriptionsOf(db, owner.pk);
  const last = await store.lastRegularLicense(db, owner.pk);
  checkEmergencyEligible(
    { account: owner.name, prospect: owner.prospect, plans: subs.map((s) => s.plan), lastLicense: last ? { lid: last.lid, exp: last.claims.exp, grace: last.grace } : null },
    at,
  );
  const payload = buildEmergencyPayload({
    users: o.users,
    sub: last!.subscription ?? owner.name,
    edition: last!.claims.edition,
    features: last!.claims.features,
    now: at,
  });
  const key = await signLicenseKey(payload, o.privateJwk);
  // NOTE: recorded before mailing: the key exists from now on, whatever the mail does.
  await store.insertLicense(db, {
    claims: payload, key, subscription: last!.subscription, accountPk: owner.pk, emergency: true, grace: 0,
    issuedBy, issuedAt: at, ticket, emailTo: to, emailOutcome: m.emailPending(to),
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
  return { license: (await store.findLicense(db, payload.lid))!, emailed };
}
