import { createHash } from 'node:crypto';
import type { AuditDetail, AuditValue } from './types.js';

/**
 * Canonical JSON (RFC 8785 for the values we store: strings, integers, booleans, null, arrays,
 * objects): keys sorted by code unit, no white space. The same entry always hashes the same,
 * whatever order a database or a driver gives its JSON keys back in.
 */
export function canonicalJson(value: AuditValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('An audit detail number must be finite.');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

/**
 * The canonical JSON of an entry up to its ID: `id` sorts last, so the body is this prefix, the
 * ID and `}`. A database that hashes the entry itself (the PostgreSQL dialect) needs only this.
 */
export function bodyPrefix(entry: { at: string; actor: string; action: string; detail: AuditDetail }): string {
  const body = canonicalJson({ id: 0, at: entry.at, actor: entry.actor, action: entry.action, detail: entry.detail });
  return body.slice(0, -'0}'.length);
}

/** The hash of one entry, chained to the one before it. */
export function entryHash(prevHash: string, entry: { id: number; at: string; actor: string; action: string; detail: AuditDetail }): string {
  const body = canonicalJson({ id: entry.id, at: entry.at, actor: entry.actor, action: entry.action, detail: entry.detail });
  return createHash('sha256')
    .update(prevHash + body)
    .digest('hex');
}
