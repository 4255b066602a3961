import { LicenseError } from 'license-manager/formats';
import { registryMessages as m } from './messages.js';

const fail = (detail: string, data: Record<string, unknown> = {}) => new LicenseError('VALIDATION_FAILED', { detail, data });

/** Trimmed non-empty text of at most 255 characters. */
export function text(value: unknown, what: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (!t || t.length > 255) throw fail(m.textRequired(what));
  return t;
}

/** Like {@link text}, but empty or absent is null. */
export function optionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  return text(value, what);
}

/** A short name such as a plan or an edition. */
export function word(value: string, message: (v: string) => string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (!/^[\p{L}\p{N}_-]{1,64}$/u.test(t)) throw fail(message(String(value)));
  return t;
}

export function email(value: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t) || t.length > 320) throw fail(m.emailInvalid(String(value)));
  return t;
}

export function optionalLimit(value: number | undefined, name: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw fail(m.limitInvalid(name, value));
  return value;
}

/** Tags and features: trimmed, no white space inside, duplicates dropped, order kept. */
export function cleanList(values: readonly string[] | undefined, message: (v: string) => string): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    const t = typeof v === 'string' ? v.trim() : '';
    if (!/^\S{1,100}$/.test(t)) throw fail(message(String(v)));
    if (!out.includes(t)) out.push(t);
  }
  return out;
}
