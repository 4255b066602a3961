import type { Knex } from 'knex';
import { LicenseError } from '../../errors.js';
import { graceDays } from '../../keys/claims.js';
import { signLicenseKey } from '../../keys/sign.js';
import { buildPayload } from '../payload.js';
import { requireSubscription } from './lookup.js';
import { registryMessages as m } from './messages.js';
import { checkContractRunning, checkInstanceFree, checkProductionInstance, checkStagingServerId, normaliseServerId } from './rules.js';
import * as store from './store.js';
import type { IssuedLicense, IssueRequest } from './types.js';
import { cleanList, text } from './validate.js';

/**
 * A production or staging key under a subscription's rules, signed and recorded. The key's
 * `exp` is the contract end, its edition and limits the subscription's, its tags as given.
 */
export async function issueSubscriptionKey(db: Knex, at: Date, o: IssueRequest): Promise<IssuedLicense> {
  const type = o.type ?? 'production';
  if (type !== 'production' && type !== 'staging') throw new LicenseError('VALIDATION_FAILED', { detail: m.typeInvalid(String(type)) });
  const serverId = normaliseServerId(o.serverId);
  const issuedBy = text(o.issuedBy ?? 'vendor', 'issued-by');
  const sub = await requireSubscription(db, o.subscription);
  checkContractRunning(sub, at);
  if (type === 'production') {
    checkProductionInstance(sub, serverId);
    checkInstanceFree(sub.id, serverId, await store.subscriptionsBoundTo(db, serverId), at);
  } else {
    checkStagingServerId(sub, serverId);
  }
  const owner = (await store.findAccount(db, { name: sub.account }))!;
  const payload = buildPayload({
    serverId,
    licensee: owner.company,
    type,
    expires: sub.ends, // the production key's exp is the contract end (SPEC 11)
    sub: sub.id,
    edition: sub.edition,
    features: cleanList(o.features, m.featureInvalid),
    users: sub.users ?? undefined,
    loc: sub.loc ?? undefined,
    tags: cleanList(o.tags, m.tagInvalid),
    now: at,
  });
  const key = await signLicenseKey(payload, o.privateJwk);
  await db.transaction(async (trx) => {
    if (type === 'production') {
      const bound = await store.bindProduction(trx, sub.id, serverId);
      checkProductionInstance({ id: sub.id, productionServerId: bound }, serverId); // lost a race: refused, rolled back
    }
    await store.insertLicense(trx, {
      claims: payload, key, subscription: sub.id, accountPk: owner.pk, emergency: false, grace: graceDays(payload),
      issuedBy, issuedAt: at, ticket: null, emailTo: null, emailOutcome: null,
    });
  });
  return (await store.findLicense(db, payload.lid))!;
}
