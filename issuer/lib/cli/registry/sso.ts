import { Option, type Command } from 'commander';
import { ROLES } from '../../portal/permissions.js';
import { ssoGroups } from '../../sso/groups.js';
import type { CliIo } from 'license-manager/shared';
import { defaultIssuer, withRegistry, withRegistryOption } from './shared.js';

/** `vendor sso map|unmap|list`: which identity-provider group gets which portal role (SPEC 23). */
export function registerVendorSso(vendor: Command, io: CliIo): void {
  const sso = vendor.command('sso').description('Single sign-on: map identity-provider groups to portal roles (no mapping, no access).');
  withRegistryOption(
    sso
      .command('map')
      .description('Give people in a group a role at their next sign-in.')
      .requiredOption('--group <group>', 'the group as the identity provider sends it (the role claim, default "groups")')
      .addOption(new Option('--role <role>', 'the portal role').choices([...ROLES]).makeOptionMandatory()),
  ).action(async (opts: { group: string; role: string; registry: string }) => {
    const by = defaultIssuer(io);
    const m = await withRegistry(io, opts.registry, async (r) => {
      const mapped = await ssoGroups(r.db).map({ group: opts.group, role: opts.role, setBy: by }, io.now());
      await r.recordEvent({ actor: by, action: 'sso_group_mapped', detail: { group: mapped.group, role: mapped.role } });
      return mapped;
    });
    io.stdout(`Group ${m.group} signs in as ${m.role}.\n`);
  });
  withRegistryOption(
    sso.command('unmap').description("Remove a group's role: its people lose access at their next sign-in.").requiredOption('--group <group>', 'the group'),
  ).action(async (opts: { group: string; registry: string }) => {
    const by = defaultIssuer(io);
    await withRegistry(io, opts.registry, async (r) => {
      await ssoGroups(r.db).unmap(opts.group);
      await r.recordEvent({ actor: by, action: 'sso_group_unmapped', detail: { group: opts.group } });
    });
    io.stdout(`Group ${opts.group} no longer has a role.\n`);
  });
  withRegistryOption(sso.command('list').description('The group → role map.')).action(async (opts: { registry: string }) => {
    const list = await withRegistry(io, opts.registry, (r) => ssoGroups(r.db).list());
    io.stdout(list.length ? list.map((m) => `${m.group}\t${m.role}\n`).join('') : 'No group is mapped: nobody can sign in through single sign-on.\n');
  });
}
