import { LicenseError } from '../errors.js';

/**
 * Opaque paging cursors for the API and the page's "older" links: base64url of a small JSON
 * value. Clients pass them back unchanged; what is inside may change between versions.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;

/**
 * The value inside a cursor this module gave out, or VALIDATION_FAILED naming the field.
 * `read` returns the typed value, or undefined when the shape is not one it writes.
 */
export function decodeCursor<T>(text: unknown, field: string, read: (value: unknown) => T | undefined): T {
  let value: T | undefined;
  if (typeof text === 'string' && CURSOR.test(text)) {
    try {
      value = read(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    } catch {
      value = undefined;
    }
  }
  if (value === undefined) {
    throw new LicenseError('VALIDATION_FAILED', { detail: `${field} must be a cursor given by a previous page (nextCursor).`, data: { field } });
  }
  return value;
}

/** A cursor's value when the query has one, else null. */
export function cursorFrom<T>(query: unknown, field: string, read: (value: unknown) => T | undefined): T | null {
  const raw = query && typeof query === 'object' ? (query as Record<string, unknown>)[field] : undefined;
  return raw === undefined || raw === '' ? null : decodeCursor(raw, field, read);
}

const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** `[loc, project]`: after this project, largest first. */
export const readProjectKey = (v: unknown) =>
  Array.isArray(v) && v.length === 2 && isWhole(v[0]) && typeof v[1] === 'string' ? { loc: v[0], project: v[1] } : undefined;

/** `[id]`: rows older than this id (notifications, stored keys). */
export const readId = (v: unknown) => (Array.isArray(v) && v.length === 1 && isWhole(v[0]) ? v[0] : undefined);
