import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerCustomer } from './vendor/customer.js';
import { registerSubscription } from './vendor/subscription.js';
import { registerVendorIssue } from './vendor/issue.js';
import { registerEmergency } from './vendor/emergency.js';
import { registerList } from './vendor/list.js';
import { registerRevocations } from './vendor/revocations.js';
import { registerUsage } from './vendor/usage.js';
import { registerVendorServe } from './vendor/serve.js';
import { registerVendorUser } from './vendor/user.js';

/** `license-manager vendor …`: the vendor registry of SPEC 11 (customers, subscriptions, issued licenses). */
export function registerVendor(program: Command, io: CliIo): void {
  const vendor = program
    .command('vendor')
    .description('The vendor registry: customers, subscriptions, issued and emergency licenses (--registry URL, default sqlite:./vendor-registry.db).');
  registerCustomer(vendor, io);
  registerSubscription(vendor, io);
  registerVendorIssue(vendor, io);
  registerEmergency(vendor, io);
  registerList(vendor, io);
  registerRevocations(vendor, io);
  registerUsage(vendor, io);
  registerVendorServe(vendor, io);
  registerVendorUser(vendor, io);
}
