/**
 * Roles are data (SPEC 19): each role is the set of permissions it holds, and one middleware
 * checks the permission a route names. No handler asks which role a user has.
 */
export const PERMISSIONS = [
  'read', // customers, subscriptions, licenses, keys, timeline, usage, audit log
  'customers.write', // customers, prospect flag, subscriptions: create, renew, archive, CRM ID, hosted services
  'licenses.issue', // generate, preview, issue, email a key
  'licenses.revoke',
  'licenses.approve', // keys for prospects
  'emergency.issue',
  'users.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'engineer', 'support', 'sales'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  engineer: ['read', 'customers.write', 'licenses.issue', 'licenses.revoke'],
  support: ['read', 'emergency.issue'],
  sales: ['read', 'licenses.approve'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}
