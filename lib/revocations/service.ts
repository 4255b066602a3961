import type { Knex } from 'knex';
import { auditedTransaction } from '../audit/index.js';
import { LicenseError, isLicenseError } from '../errors.js';
import type { TrustedKeys } from '../keys/jwk.js';
import { revokedAt, storeRevocations, type StoredRevocations } from './store.js';
import { revocationMessages as m, verifyRevocationList } from './verify.js';

export interface RevocationDeps {
  knex: Knex;
  trusted: TrustedKeys;
}

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * Installs a revocation list (page, API, CLI): verified against the trusted vendor keys, stored
 * if newer than the one in force (else REVOCATIONS_STALE), recorded in the audit log. The
 * caller refreshes, and every other node applies it on its next refresh.
 */
export async function installRevocations(deps: RevocationDeps, text: unknown, actor: string, at: Date): Promise<StoredRevocations> {
  const list = await verifyRevocationList(text, deps.trusted);
  let stored: StoredRevocations | undefined;
  // the list and its audit entry commit together (SPEC 17.3)
  await auditedTransaction(deps.knex, async (trx) => {
    stored = await storeRevocations(trx, list, actor, at);
    return { at, actor, action: 'revocations_set', detail: { number: stored.number, revoked: stored.revoked.length } };
  });
  return stored!;
}

/**
 * The `revocations` option: installed at start when newer than the list in force (a list
 * already overtaken is fine: the database has a newer one). A list that does not verify is the
 * host's configuration at fault: a TypeError naming the option.
 */
export async function installConfiguredRevocations(deps: RevocationDeps, text: string, at: Date): Promise<void> {
  try {
    await installRevocations(deps, text, 'configuration', at);
  } catch (err) {
    if (isLicenseError(err) && err.code === 'REVOCATIONS_STALE') return;
    if (isLicenseError(err) && err.code === 'AUDIT_CHAIN_BROKEN') {
      // NOTE: a broken chain never stops start() nor keeps a revocation out (SPEC 21): the list
      // from configuration is stored without its entry, and the snapshot says AUDIT_CHAIN_BROKEN
      const list = await verifyRevocationList(text, deps.trusted);
      await deps.knex
        .transaction((trx) => storeRevocations(trx, list, 'configuration', at))
        .catch((again: unknown) => {
          if (!(isLicenseError(again) && again.code === 'REVOCATIONS_STALE')) throw again;
        });
      return;
    }
    if (isLicenseError(err)) throw new TypeError(`Option "revocations" is not a usable revocation list: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Refuses a key the vendor revoked (read from the database, so a list another node installed counts). */
export async function refuseRevoked(knex: Knex, lid: string): Promise<void> {
  const at = await revokedAt(knex, lid);
  if (at !== undefined) throw new LicenseError('LICENSE_REVOKED', { detail: m.revoked(lid, day(at)), data: { lid } });
}
