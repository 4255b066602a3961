import type { Command } from 'commander';
import type { CliIo } from './io.js';

/** `license-manager vendor …`: the vendor registry of SPEC 11 (customers, subscriptions, issued licenses). */
export function registerVendor(program: Command, _io: CliIo): void {
  program.command('vendor').description('The vendor registry: customers, subscriptions, issued and emergency licenses.');
}
