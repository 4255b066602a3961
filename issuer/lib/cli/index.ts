import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { registerKeygen } from './keygen.js';
import { registerIssue } from './issue.js';
import { registerInspect } from './inspect.js';
import { registerVendor } from './registry.js';

/** The commands this package adds to `license-manager`: keygen, issue, inspect and vendor …. */
export const VENDOR_COMMANDS = ['keygen', 'issue', 'inspect', 'vendor'] as const;

/** Adds the vendor's commands to the embed's `license-manager` program (it loads this module by name). */
export function registerVendorCommands(program: Command, io: CliIo): void {
  registerKeygen(program, io);
  registerIssue(program, io);
  registerInspect(program, io);
  registerVendor(program, io);
}
