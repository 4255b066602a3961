/**
 * The single sign-on map (SPEC 23): an identity provider's group → a portal role, kept in the
 * registry. A person gets the role of their mapped groups at each sign-in; with several, the
 * one listed first in ROLES (admin, engineer, support, sales); with none, no access.
 */
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { isRole, ROLES, type Role } from '../portal/permissions.js';

export interface GroupMapping {
  group: string;
  role: Role;
  setBy: string;
  setAt: Date;
}

interface Row {
  group_name: string;
  role: string;
  set_by: string;
  set_at: number | string;
}

const toMapping = (r: Row): GroupMapping => ({ group: r.group_name, role: r.role as Role, setBy: r.set_by, setAt: new Date(Number(r.set_at)) });
const fail = (detail: string) => new LicenseError('VALIDATION_FAILED', { detail });

export const ssoMessages = {
  groupInvalid: () => 'A group is 1 to 191 characters, as the identity provider sends it.',
  roleInvalid: (role: string) => `The role "${role}" is not one of ${ROLES.join(', ')}.`,
  unknown: (group: string) => `The group ${group} is not mapped.`,
};

export interface SsoGroups {
  /** Maps the group to the role (a second call changes it). */
  map(o: { group: string; role: string; setBy: string }, now: Date): Promise<GroupMapping>;
  unmap(group: string): Promise<void>;
  list(): Promise<GroupMapping[]>;
  /** The role the groups give, or undefined when none of them is mapped. */
  roleFor(groups: readonly string[]): Promise<Role | undefined>;
}

function groupName(value: unknown): string {
  const g = typeof value === 'string' ? value.trim() : '';
  if (!g || g.length > 191 || /[\u0000-\u001f]/.test(g)) throw fail(ssoMessages.groupInvalid());
  return g;
}

export function ssoGroups(db: Knex): SsoGroups {
  return {
    async map(o, now) {
      const group = groupName(o.group);
      if (!isRole(o.role)) throw fail(ssoMessages.roleInvalid(String(o.role)));
      await db('vendor_sso_groups')
        .insert({ group_name: group, role: o.role, set_by: o.setBy, set_at: now.getTime() })
        .onConflict('group_name')
        .merge(['role', 'set_by', 'set_at']);
      return toMapping((await db<Row>('vendor_sso_groups').where({ group_name: group }).first())!);
    },
    async unmap(group) {
      const g = groupName(group);
      if (!(await db('vendor_sso_groups').where({ group_name: g }).delete())) throw fail(ssoMessages.unknown(g));
    },
    list: async () => (await db<Row>('vendor_sso_groups').orderBy('group_name')).map(toMapping),
    async roleFor(groups) {
      const names = groups.filter((g) => typeof g === 'string' && g.length > 0 && g.length <= 191).slice(0, 500);
      if (!names.length) return undefined;
      const roles = new Set((await db<Row>('vendor_sso_groups').whereIn('group_name', names).select('role')).map((r) => r.role));
      return ROLES.find((r) => roles.has(r));
    },
  };
}
