import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { writeText } from 'license-manager/shared';
import { defaultIssuer, readPrivateKey, withRegistry, withRegistryOption } from './shared.js';

/**
 * `vendor revoke` records a revocation; `vendor revocations` writes the signed list of all of
 * them (SPEC 18.2), numbered one above the last list, for the customer to install.
 */
export function registerRevocations(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('revoke')
      .description('Revoke an issued license: it goes into every revocation list made from now on.')
      .requiredOption('--license <lid>', 'the license ID (lid) to revoke')
      .requiredOption('--reason <text>', 'why, kept with the revocation')
      .option('--issued-by <who>', 'who revokes it (default: the login name)'),
  ).action(async (opts: { license: string; reason: string; issuedBy?: string; registry: string }) => {
    const r = await withRegistry(io, opts.registry, (reg) =>
      reg.revoke({ lid: opts.license, reason: opts.reason, issuedBy: opts.issuedBy ?? defaultIssuer(io) }),
    );
    io.stdout(
      `Revoked ${r.lid} on ${r.at.toISOString().slice(0, 10)} by ${r.issuedBy}: ${r.reason}\n` +
        'Write a new list with "vendor revocations" and send it to the customer.\n',
    );
  });

  withRegistryOption(
    vendor
      .command('revocations')
      .description('Write the signed revocation list of every revoked license, for instances to install.')
      .requiredOption('--private-key <file>', 'vendor private JWK file (from keygen)')
      .requiredOption('--out <file>', 'where to write the list'),
  ).action(async (opts: { privateKey: string; out: string; registry: string }) => {
    const privateJwk = await readPrivateKey(io, opts.privateKey);
    const list = await withRegistry(io, opts.registry, (reg) => reg.revocationList({ privateJwk }));
    await writeText(io.cwd, opts.out, `${list.text}\n`, 'revocation list');
    io.stdout(
      `Revocation list number ${list.number} with ${list.revoked.length} revoked license${list.revoked.length === 1 ? '' : 's'} written to ${opts.out}.\n`,
    );
  });
}
