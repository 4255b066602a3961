import { Option, type Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { list, repeatable, wholeNumber } from 'license-manager/shared';
import { extensionOf } from '../issue.js';
import { defaultIssuer, readPrivateKey, withRegistry, withRegistryOption } from './shared.js';

interface Flags {
  privateKey: string;
  subscription: string;
  serverId: string;
  type: 'production' | 'staging';
  features?: string[];
  tag?: string[];
  issuedBy?: string;
  registry: string;
  extensionDays?: number;
  extensionUses?: number;
}

/** `vendor issue`: a production or staging key under a subscription's rules; prints the key. */
export function registerVendorIssue(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('issue')
      .description('Issue a key for a subscription and print it: expiry, edition and limits come from the subscription.')
      .requiredOption('--private-key <file>', 'vendor private JWK file (from keygen)')
      .requiredOption('--subscription <id>', 'subscription ID (from subscription add)')
      .requiredOption('--server-id <id>', 'server ID of the instance')
      .addOption(
        new Option('--type <type>', 'production (one server ID per subscription) or staging (same dataset part)')
          .choices(['production', 'staging'])
          .default('production'),
      )
      .option('--features <a,b>', 'commercial features, comma-separated', list)
      .option('--tag <tag>', 'a tag carried into the key, e.g. true-up or instance:test (repeatable)', repeatable)
      .option('--issued-by <who>', 'who issues it, recorded in the registry (default: your login name)')
      .option('--extension-days <n>', 'self-service extension: days each use gives, 1–30 (SPEC 22)', wholeNumber('--extension-days'))
      .option('--extension-uses <k>', 'self-service extension: how many uses, 1–3 (default 1)', wholeNumber('--extension-uses')),
  ).action(async (opts: Flags) => {
    const privateJwk = await readPrivateKey(io, opts.privateKey);
    const issued = await withRegistry(io, opts.registry, (r) =>
      r.issue({
        privateJwk,
        subscription: opts.subscription,
        serverId: opts.serverId,
        type: opts.type,
        features: opts.features,
        tags: opts.tag,
        issuedBy: opts.issuedBy ?? defaultIssuer(io),
        extension: extensionOf(opts),
      }),
    );
    io.stdout(`${issued.key}\n`);
  });
}
