import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { registryMessages as m } from './messages.js';
import * as store from './store.js';
import { text } from './validate.js';

/** The account of that name, or VALIDATION_FAILED saying there is none. */
export async function requireAccount(db: Knex, name: string): Promise<store.StoredAccount> {
  const found = await store.findAccount(db, { name: text(name, 'The account name') });
  if (!found) throw new LicenseError('VALIDATION_FAILED', { detail: m.accountUnknown(name), data: { account: name } });
  return found;
}

/** The subscription of that ID, or VALIDATION_FAILED saying there is none. */
export async function requireSubscription(db: Knex, id: string): Promise<store.StoredSubscription> {
  const found = await store.findSubscription(db, text(id, 'The subscription ID'));
  if (!found) throw new LicenseError('VALIDATION_FAILED', { detail: m.subscriptionUnknown(id), data: { subscription: id } });
  return found;
}

/** A record without the internal primary keys, as the public API shows it. */
export function publicRecord<T extends { accountPk?: number; pk?: number }>(o: T): Omit<T, 'accountPk' | 'pk'> {
  const { accountPk: _a, pk: _p, ...rest } = o;
  return rest;
}
