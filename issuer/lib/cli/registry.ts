import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { registerCustomer } from './registry/customer.js';
import { registerSubscription } from './registry/subscription.js';
import { registerVendorIssue } from './registry/issue.js';
import { registerEmergency } from './registry/emergency.js';
import { registerList } from './registry/list.js';
import { registerRevocations } from './registry/revocations.js';
import { registerUsage } from './registry/usage.js';
import { registerMove } from './registry/move.js';
import { registerVendorServe } from './registry/serve.js';
import { registerVendorUser } from './registry/user.js';
import { registerVendorMigrate } from './registry/migrate.js';
import { issuerVersion } from '../version.js';
import { registerVendorToken } from './registry/token.js';
import { registerVendorSso } from './registry/sso.js';

/** `license-manager vendor …`: the vendor registry of SPEC 11 (customers, subscriptions, issued licenses). */
export function registerVendor(program: Command, io: CliIo): void {
  const vendor = program
    .command('vendor')
    .description('The vendor registry: customers, subscriptions, issued and emergency licenses (--registry URL, default sqlite:./vendor-registry.db).')
    .version(issuerVersion, '-V, --version', 'print the version of license-manager-issuer');
  registerCustomer(vendor, io);
  registerSubscription(vendor, io);
  registerVendorIssue(vendor, io);
  registerEmergency(vendor, io);
  registerList(vendor, io);
  registerRevocations(vendor, io);
  registerUsage(vendor, io);
  registerMove(vendor, io);
  registerVendorServe(vendor, io);
  registerVendorUser(vendor, io);
  registerVendorMigrate(vendor, io);
  registerVendorToken(vendor, io);
  registerVendorSso(vendor, io);
}
