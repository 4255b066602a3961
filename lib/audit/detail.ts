import type { AuditDetail, AuditValue } from './types.js';

const EMAIL = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[^\s@<>()"',;:]+/;
// a compact JWS: three base64url parts, the first a JSON header ("ey…")
const JWS = /ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/**
 * The audit log is kept for years and shown on the page: a key text or an email address in it
 * would leak. Misuse by a caller is a TypeError, not a silent redaction.
 */
export function assertSafeDetail(detail: AuditDetail): void {
  const walk = (value: AuditValue, path: string): void => {
    if (typeof value === 'string') {
      if (EMAIL.test(value)) throw new TypeError(`Audit detail "${path}" holds an email address; record a name or a count instead.`);
      if (JWS.test(value)) throw new TypeError(`Audit detail "${path}" holds a license key text; record its license ID instead.`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(detail, '');
}

/**
 * The actor is a name. A host whose `actorOf` hands back an address gets the part before the
 * `@`, so the log names the person without keeping where to reach them.
 */
export function actorName(actor: string | undefined): string {
  const trimmed = (actor ?? '').trim();
  if (!trimmed) return 'unknown';
  const name = trimmed.includes('@') ? trimmed.slice(0, trimmed.indexOf('@')) || 'unknown' : trimmed;
  return name.slice(0, 255);
}
