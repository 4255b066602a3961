import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { withRegistry, withRegistryOption } from './shared.js';

/** `vendor customer add --company NAME --account-id ID`: prints the account name. */
export function registerCustomer(vendor: Command, io: CliIo): void {
  const customer = vendor.command('customer').description('Customer accounts, named Company_Name-UniqueAccountID.');
  withRegistryOption(
    customer
      .command('add')
      .description('Add a customer account and print its name (Company_Name-UniqueAccountID). Adding the same one again prints it again.')
      .requiredOption('--company <name>', 'company name; white space becomes "_", punctuation other than . & - is dropped')
      .requiredOption('--account-id <id>', 'unique account ID: letters and digits'),
  )
    .addHelpText('after', '\nExample:\n  license-manager vendor customer add --company "Acme Corp" --account-id A1001   # prints Acme_Corp-A1001\n')
    .action(async (opts: { company: string; accountId: string; registry: string }) => {
      const account = await withRegistry(io, opts.registry, (r) => r.addCustomer({ company: opts.company, accountId: opts.accountId }));
      io.stdout(`${account.name}\n`);
    });
}
