import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { portalUsers } from '../../portal/users.js';
import { ROLES } from '../../portal/permissions.js';
import { readText } from 'license-manager/shared';
import type { CliIo } from 'license-manager/shared';
import { withRegistry, withRegistryOption } from './shared.js';

interface Flags {
  name: string;
  role: string;
  passwordFile?: string;
  registry: string;
}

/** `vendor user add`: a portal user; the password from a file, or a generated one printed once. */
export function registerVendorUser(vendor: Command, io: CliIo): void {
  const user = vendor.command('user').description('Users of the vendor portal.');
  withRegistryOption(
    user
      .command('add')
      .description('Add a portal user. Without --password-file a random password is generated and printed once.')
      .requiredOption('--name <name>', 'sign-in name')
      .addOption(new Option('--role <role>', 'what the user may do').choices([...ROLES]).makeOptionMandatory())
      .option('--password-file <file>', 'file whose first line is the password (at least 12 characters)'),
  )
    .addHelpText(
      'after',
      '\nRoles: support (emergency licenses, reads), engineer (customers, subscriptions, issue, revoke),\nsales (approves keys for prospects), admin (all, and users).\n',
    )
    .action(async (opts: Flags) => {
      const generated = opts.passwordFile === undefined ? randomBytes(18).toString('base64url') : undefined;
      const password = generated ?? (await readText(io.cwd, opts.passwordFile!, 'password')).split(/\r?\n/)[0]!;
      const added = await withRegistry(io, opts.registry, (r) => portalUsers(r.db).add({ name: opts.name, role: opts.role, password }, io.now()));
      io.stdout(`Added ${added.name} (${added.role}).\n`);
      if (generated) io.stdout(`Password (shown once, keep it safe): ${generated}\n`);
    });
}
