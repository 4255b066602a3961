import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { signDocument } from 'license-manager/formats';
import { thumbprint, type PrivateJwk } from 'license-manager/formats';
import { dialectOf } from 'license-manager/shared';
import { REVOCATIONS_TYP } from 'license-manager/formats';
import { registryMessages as m } from './messages.js';
import * as store from './store.js';
import type { Revocation, RevocationList } from './types.js';
import { text } from './validate.js';

export { REVOCATIONS_TYP };

interface RevocationRow {
  lid: string;
  reason: string;
  issued_by: string;
  at: number | string;
}
const toRevocation = (r: RevocationRow): Revocation => ({ lid: r.lid, reason: r.reason, issuedBy: r.issued_by, at: new Date(Number(r.at)) });

/**
 * Records that a license is revoked (SPEC 18.2). The license must be one the registry issued;
 * revoking it again is harmless and keeps the first record (its date and reason).
 */
export async function revoke(db: Knex, at: Date, o: { lid: string; reason: string; issuedBy: string }): Promise<Revocation> {
  const lid = text(o.lid, 'The license ID');
  const reason = text(o.reason, 'The reason');
  const issuedBy = text(o.issuedBy, 'issued-by');
  if (!(await store.findLicense(db, lid))) throw new LicenseError('VALIDATION_FAILED', { detail: m.licenseUnknown(lid), data: { lid } });
  await db('vendor_revocations').insert({ lid, reason, issued_by: issuedBy, at: at.getTime() }).onConflict('lid').ignore();
  return toRevocation((await db<RevocationRow>('vendor_revocations').where({ lid }).first())!);
}

/** Every revocation, oldest first. */
export async function listRevocations(db: Knex): Promise<Revocation[]> {
  const rows = await db<RevocationRow>('vendor_revocations').orderBy([{ column: 'at' }, { column: 'lid' }]);
  return rows.map(toRevocation);
}

/**
 * Signs the list of every revocation with the next number: each list the registry makes has a
 * higher number than the one before, so an instance can refuse an older list played back.
 */
export async function makeRevocationList(db: Knex, at: Date, privateJwk: PrivateJwk): Promise<RevocationList> {
  if (!privateJwk || typeof privateJwk.d !== 'string') throw new TypeError('A revocation list is signed with the vendor private JWK (with "d").');
  const kid = thumbprint(privateJwk);
  const revoked = (await listRevocations(db)).map((r) => ({ lid: r.lid, at: Math.floor(r.at.getTime() / 1000) }));
  const dialect = dialectOf(db);
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await db('vendor_revocation_lists').max({ n: 'number' }).first();
    const number = Number(row?.n ?? 0) + 1;
    try {
      await db('vendor_revocation_lists').insert({ number, issued_at: at.getTime(), revoked: revoked.length, kid });
    } catch (err) {
      if (dialect.isUniqueViolation(err)) continue; // another list took this number: take the next
      throw err;
    }
    const payload = { v: 1, number, issuedAt: Math.floor(at.getTime() / 1000), revoked };
    return { number, issuedAt: at, revoked, text: await signDocument(REVOCATIONS_TYP, payload, privateJwk, { kid }) };
  }
  throw new Error('No revocation list number could be taken after 10 attempts.');
}
