import { Option, type Command } from 'commander';
import { apiTokens } from '../../api/tokens.js';
import { ROLES } from '../../portal/permissions.js';
import type { CliIo } from 'license-manager/shared';
import { defaultIssuer, withRegistry, withRegistryOption } from './shared.js';

const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : 'never');

/** `vendor token add|list|revoke`: API tokens for /api/v1 (SPEC 23); the secret is printed once. */
export function registerVendorToken(vendor: Command, io: CliIo): void {
  const token = vendor.command('token').description("API tokens for the portal's /api/v1 (a role each; the secret is shown once).");
  withRegistryOption(
    token
      .command('add')
      .description('Make an API token; its secret is printed once and only its hash is kept.')
      .requiredOption('--name <name>', 'what the token is for (shown in the audit log as token:NAME)')
      .addOption(new Option('--role <role>', 'what the token may do, as a portal user of that role').choices([...ROLES]).makeOptionMandatory()),
  ).action(async (opts: { name: string; role: string; registry: string }) => {
    const by = defaultIssuer(io);
    const { token: t, secret } = await withRegistry(io, opts.registry, async (r) => {
      const made = await apiTokens(r.db).add({ name: opts.name, role: opts.role, createdBy: by }, io.now());
      await r.recordEvent({ actor: by, action: 'api_token_added', detail: { name: made.token.name, role: made.token.role } });
      return made;
    });
    io.stdout(`Added API token ${t.name} (${t.role}).\nToken (shown once, keep it safe): ${secret}\n`);
  });
  withRegistryOption(token.command('list').description('API tokens with their role, last use and revocation.').option('--json', 'JSON')).action(
    async (opts: { registry: string; json?: boolean }) => {
      const list = await withRegistry(io, opts.registry, (r) => apiTokens(r.db).list());
      if (opts.json) return io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      if (!list.length) return io.stdout('No API tokens.\n');
      for (const t of list) {
        io.stdout(
          `${t.name}\t${t.role}\t${t.hint}…\tcreated ${when(t.createdAt)} by ${t.createdBy}\tlast used ${when(t.lastUsedAt)}${t.revokedAt ? `\trevoked ${when(t.revokedAt)} by ${t.revokedBy}` : ''}\n`,
        );
      }
    },
  );
  withRegistryOption(
    token.command('revoke').description('Revoke an API token: it is refused from now on.').requiredOption('--name <name>', 'the token'),
  ).action(async (opts: { name: string; registry: string }) => {
    const by = defaultIssuer(io);
    const t = await withRegistry(io, opts.registry, async (r) => {
      const revoked = await apiTokens(r.db).revoke({ name: opts.name, revokedBy: by }, io.now());
      await r.recordEvent({ actor: by, action: 'api_token_revoked', detail: { name: revoked.name } });
      return revoked;
    });
    io.stdout(`Revoked API token ${t.name}.\n`);
  });
}
