import type { AuditEntry } from '../audit/index.js';
import { formatDateTime } from './format.js';

const ACTIONS: Record<string, string> = {
  license_set: 'License set',
  license_refused: 'License key refused',
  license_activated: 'License made current',
  license_retired: 'License retired',
  threshold_changed: 'LOC threshold changed',
  test_email: 'Test email',
  server_id_changed: 'Server ID changed',
  clock_reset: 'Clock mark reset',
  revocations_set: 'Revocation list set',
  move_requested: 'Move requested',
};

/** One sentence of facts per entry; every value is escaped by the template. */
function what(e: AuditEntry): string {
  const d = e.detail as Record<string, unknown>;
  switch (e.action) {
    case 'license_set':
    case 'license_activated':
    case 'license_retired':
      return `license ${String(d.lid ?? '')}`;
    case 'license_refused':
      return String(d.code ?? '');
    case 'threshold_changed':
      return `${String(d.from)}% → ${String(d.to)}%`;
    case 'test_email':
      return `${String(d.recipients ?? 0)} recipient(s)${d.code ? `, ${String(d.code)}` : ''}`;
    case 'server_id_changed':
      return `${String(d.oldId ?? '')} → ${String(d.newId ?? '')}`;
    case 'revocations_set':
      return `list ${String(d.number ?? '')}`;
    case 'move_requested':
      return `${String(d.oldServerId ?? '')} → ${String(d.newServerId ?? '')}`;
    default:
      return Object.entries(d)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ');
  }
}

/** The page's Audit trail section (SPEC 16, 17.3). */
export function auditModel(entries: readonly AuditEntry[]) {
  return entries.map((e) => ({ id: e.id, at: formatDateTime(e.at), actor: e.actor, action: ACTIONS[e.action] ?? e.action, what: what(e) }));
}
