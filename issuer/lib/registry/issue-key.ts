import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { EXTENSION_DAYS, EXTENSION_USES, graceDays, type LicensePayload } from 'license-manager/formats';
import { signLicenseKey } from 'license-manager/formats';
import { buildPayload } from 'license-manager/formats';
import { requireSubscription } from './lookup.js';
import { registryMessages as m } from './messages.js';
import {
  checkContractRunning,
  checkExpiry,
  checkInstanceFree,
  checkNotArchived,
  checkProductionInstance,
  checkStagingServerId,
  normaliseServerId,
} from './rules.js';
import * as store from './store.js';
import type { IssuedLicense, IssueRequest } from './types.js';
import { cleanList, optionalLimit, optionalText, text } from './validate.js';

/** SPEC 22: the `ext` claim asked for, in its ranges, or VALIDATION_FAILED with a sentence. */
function checkExtension(ext: IssueRequest['extension']): { days: number; uses: number } | undefined {
  if (ext === undefined || ext === null) return undefined;
  const whole = (n: unknown, min: number, max: number) => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
  if (!whole(ext.days, EXTENSION_DAYS.min, EXTENSION_DAYS.max)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `A self-service extension gives ${EXTENSION_DAYS.min} to ${EXTENSION_DAYS.max} days per use.`,
      data: { field: 'extensionDays' },
    });
  }
  if (!whole(ext.uses, EXTENSION_USES.min, EXTENSION_USES.max)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: `A key allows ${EXTENSION_USES.min} to ${EXTENSION_USES.max} self-service extensions.`,
      data: { field: 'extensionUses' },
    });
  }
  return { days: ext.days, uses: ext.uses };
}

/** A key checked against every rule of the trade but not signed: what a preview shows. */
export interface PlannedKey {
  payload: LicensePayload;
  subscription: store.StoredSubscription;
  owner: store.StoredAccount;
  opportunityId: string | null;
}

/**
 * Checks a request against the subscription's rules and builds the payload. The key's `exp` is
 * the contract end unless a staging key asks for an earlier day; edition from the subscription,
 * limits from the subscription unless given, tags as given.
 */
export async function planSubscriptionKey(db: Knex, at: Date, o: Omit<IssueRequest, 'privateJwk'>): Promise<PlannedKey> {
  const type = o.type ?? 'production';
  if (type !== 'production' && type !== 'staging') throw new LicenseError('VALIDATION_FAILED', { detail: m.typeInvalid(String(type)) });
  const serverId = normaliseServerId(o.serverId);
  const sub = await requireSubscription(db, o.subscription);
  checkNotArchived(sub);
  checkContractRunning(sub, at);
  const expires = checkExpiry(sub, type, o.expires);
  if (type === 'production') {
    checkProductionInstance(sub, serverId);
    checkInstanceFree(sub.id, serverId, await store.subscriptionsBoundTo(db, serverId), at);
  } else {
    checkStagingServerId(sub, serverId);
  }
  const owner = (await store.findAccount(db, { name: sub.account }))!;
  const users = o.users === undefined ? sub.users : optionalLimit(o.users ?? undefined, 'users');
  const loc = o.loc === undefined ? sub.loc : optionalLimit(o.loc ?? undefined, 'loc');
  const payload = buildPayload({
    serverId,
    licensee: owner.company,
    type,
    expires,
    sub: sub.id,
    edition: sub.edition,
    features: cleanList(o.features, m.featureInvalid),
    users: users ?? undefined,
    loc: loc ?? undefined,
    tags: cleanList(o.tags, m.tagInvalid),
    extension: checkExtension(o.extension),
    now: at,
  });
  return { payload, subscription: sub, owner, opportunityId: optionalText(o.opportunityId, 'The opportunity ID') };
}

/**
 * A production or staging key under a subscription's rules, signed and recorded. A prospect
 * account's key needs `approvedBy` (a sales approval).
 */
export async function issueSubscriptionKey(db: Knex, at: Date, o: IssueRequest): Promise<IssuedLicense> {
  const issuedBy = text(o.issuedBy ?? 'vendor', 'issued-by');
  const { payload, subscription: sub, owner, opportunityId } = await planSubscriptionKey(db, at, o);
  if (owner.prospect && !o.approvedBy) {
    throw new LicenseError('VALIDATION_FAILED', { detail: m.prospectNeedsApproval(owner.name), data: { account: owner.name, rule: 'prospect_approval' } });
  }
  const key = await signLicenseKey(payload, o.privateJwk);
  await db.transaction(async (trx) => {
    if (payload.type === 'production') {
      const bound = await store.bindProduction(trx, sub.id, payload.serverId);
      checkProductionInstance({ id: sub.id, productionServerId: bound }, payload.serverId); // lost a race: refused, rolled back
    }
    await store.insertLicense(trx, {
      claims: payload,
      key,
      subscription: sub.id,
      accountPk: owner.pk,
      emergency: false,
      grace: graceDays(payload),
      issuedBy,
      issuedAt: at,
      ticket: null,
      emailTo: null,
      emailOutcome: null,
      opportunityId,
    });
  });
  return (await store.findLicense(db, payload.lid))!;
}
