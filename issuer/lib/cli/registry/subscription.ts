import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { wholeNumber } from 'license-manager/shared';
import { withRegistry, withRegistryOption } from './shared.js';

interface AddFlags {
  account: string;
  plan: string;
  ends: string;
  users?: number;
  loc?: number;
  edition: string;
  registry: string;
}
interface RenewFlags {
  subscription: string;
  ends: string;
  users?: number;
  loc?: number;
  registry: string;
}

/** `vendor subscription add` (prints the new subscription ID) and `vendor subscription renew`. */
export function registerSubscription(vendor: Command, io: CliIo): void {
  const subscription = vendor.command('subscription').description('Subscriptions: one contract, one production instance.');
  withRegistryOption(
    subscription
      .command('add')
      .description('Add a subscription to a customer account and print its ID.')
      .requiredOption('--account <name>', 'customer account (Company_Name-UniqueAccountID)')
      .requiredOption('--plan <plan>', 'plan, e.g. enterprise (free and trial are not paid plans)')
      .requiredOption('--ends <YYYY-MM-DD>', 'last day of the contract: the production key expires at the following midnight UTC')
      .option('--users <n>', 'user limit of its keys', wholeNumber('--users'))
      .option('--loc <n>', 'lines-of-code limit of its keys', wholeNumber('--loc'))
      .option('--edition <edition>', 'edition of its keys', 'enterprise'),
  ).action(async (opts: AddFlags) => {
    const sub = await withRegistry(io, opts.registry, (r) =>
      r.addSubscription({ account: opts.account, plan: opts.plan, ends: opts.ends, users: opts.users, loc: opts.loc, edition: opts.edition }),
    );
    io.stdout(`${sub.id}\n`);
  });
  withRegistryOption(
    subscription
      .command('renew')
      .description('Set a new contract end (and limits) for a subscription; its next key, for the same instance, follows them.')
      .requiredOption('--subscription <id>', 'subscription ID')
      .requiredOption('--ends <YYYY-MM-DD>', 'new last day of the contract')
      .option('--users <n>', 'new user limit', wholeNumber('--users'))
      .option('--loc <n>', 'new lines-of-code limit', wholeNumber('--loc')),
  ).action(async (opts: RenewFlags) => {
    const sub = await withRegistry(io, opts.registry, (r) =>
      r.renewSubscription({ subscription: opts.subscription, ends: opts.ends, users: opts.users, loc: opts.loc }),
    );
    io.stdout(`${sub.id} ends ${sub.ends}\n`);
  });
}
