import { LicenseError } from '../errors.js';

/** The `key` field of a JSON body or form: a non-empty string (verification judges the rest). */
export function keyFrom(body: unknown): string {
  const key = body && typeof body === 'object' ? (body as Record<string, unknown>).key : undefined;
  if (typeof key !== 'string' || key.trim() === '') {
    throw new LicenseError('VALIDATION_FAILED', { detail: 'Paste a license key: the "key" field is empty or missing.', data: { field: 'key' } });
  }
  return key;
}

/** The `lid` of a stored-key action: a license ID (a UUID; a configuration key's own name also fits). */
export function lidFrom(body: unknown): string {
  const lid = body && typeof body === 'object' ? (body as Record<string, unknown>).lid : undefined;
  if (typeof lid !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(lid)) {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: 'Give the license ID of a stored key: the "lid" field is missing or not a license ID.',
      data: { field: 'lid' },
    });
  }
  return lid;
}

/**
 * The optional `use` of an extension (SPEC 22): the number of the use the administrator
 * confirmed, a JSON number or the page's hidden field; undefined when absent.
 */
export function useFrom(body: unknown): number | undefined {
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>).use : undefined;
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'string' && /^\d$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3) {
    throw new LicenseError('VALIDATION_FAILED', { detail: '"use" must be the number of the extension, from 1 to 3.', data: { field: 'use' } });
  }
  return value;
}

const THRESHOLD_SENTENCE = 'The threshold must be a whole number of percent from 1 to 100.';

/**
 * The `percent` of a threshold change: a JSON number, or the text of the page's number field.
 * Whole percents from 1 to 100: 0 would notify forever, over 100 never.
 */
export function percentFrom(body: unknown, fromForm: boolean): number {
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>).percent : undefined;
  const value = fromForm && typeof raw === 'string' && /^\s*\d{1,3}\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100) {
    throw new LicenseError('VALIDATION_FAILED', { detail: THRESHOLD_SENTENCE, data: { field: 'percent' } });
  }
  return value;
}

/** `?limit=` of a list: 1 to `max` (200 unless told), `fallback` when absent. */
export function limitFrom(query: unknown, fallback = 50, max = 200): number {
  const raw = query && typeof query === 'object' ? (query as Record<string, unknown>).limit : undefined;
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new LicenseError('VALIDATION_FAILED', { detail: `limit must be a whole number from 1 to ${max}.`, data: { field: 'limit' } });
  }
  return n;
}
