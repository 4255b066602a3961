import { LicenseError } from 'license-manager/formats';
import { registryMessages as m } from './messages.js';

const ACCOUNT_ID = /^[\p{L}\p{N}]{1,64}$/u;

/**
 * The account name `Company_Name-UniqueAccountID` (SPEC 11).
 *
 * Normalisation of the company part, so that one company always gives one name and the name is
 * safe in a file name, a URL and a shell argument:
 * - Unicode NFC, surrounding white space trimmed;
 * - every run of white space becomes one `_` ("Acme  Corp" → `Acme_Corp`);
 * - letters and digits of any script, `_`, `.` and `&` are kept, case included; a `-` is kept
 *   only inside the company part ("Hewlett-Packard" stays), every other character is dropped
 *   ("Acme, Inc." → `Acme_Inc.`);
 * - repeated `_` collapse and leading/trailing `_` `.` `-` are trimmed.
 *
 * The account ID is letters and digits only: no dash, so the last dash of a name always separates
 * the company from the ID and `Hewlett-Packard-42` reads back unambiguously.
 *
 * @example
 * accountName('Acme Corp', 'A1001') // 'Acme_Corp-A1001'
 */
export function accountName(company: string, accountId: string): { name: string; company: string; accountId: string } {
  const companyPart = normaliseCompany(company);
  const id = accountId.trim();
  if (!ACCOUNT_ID.test(id)) throw new LicenseError('VALIDATION_FAILED', { detail: m.accountIdInvalid(accountId), data: { accountId } });
  return { name: `${companyPart}-${id}`, company: company.trim(), accountId: id };
}

/** The company part of an account name (see {@link accountName}). */
export function normaliseCompany(company: string): string {
  const part = company
    .normalize('NFC')
    .trim()
    .replace(/\s+/gu, '_')
    .replace(/[^\p{L}\p{N}_.&-]/gu, '')
    .replace(/_+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '');
  if (!/[\p{L}\p{N}]/u.test(part)) throw new LicenseError('VALIDATION_FAILED', { detail: m.companyEmpty(company), data: { company } });
  return part;
}
