import { Command, CommanderError } from 'commander';
import { describeError, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io.js';
import { moduleVersion } from '../version.js';
import { registerInstance } from './instance.js';
import { registerServe } from './serve.js';
import { registerOffline } from './offline.js';
import { registerAudit } from './audit.js';
import { registerClockReset } from './clock-reset.js';
import { registerMigrate } from './migrate.js';
import { registerExtend } from './extend.js';

type Register = (program: Command, io: CliIo) => void;

/** The instance commands: what a host's administrators run against its database. */
const instanceCommands: Register[] = [registerInstance, registerServe, registerAudit, registerClockReset, registerOffline, registerMigrate, registerExtend];

/** The vendor's commands live in the `license-manager-issuer` package; the same command line runs them. */
const VENDOR_COMMANDS = new Set(['keygen', 'issue', 'inspect', 'vendor']);
const ISSUER_CLI = 'license-manager-issuer/cli';

export interface IssuerCli {
  registerVendorCommands: Register;
}

/** The issuer package's commands, or undefined where it is not installed. */
async function loadIssuerCli(): Promise<IssuerCli | undefined> {
  // NOTE: a specifier in a variable keeps TypeScript from compiling the issuer into the embed: the
  // embed never depends on the issuer, it only runs its commands when the host installed both.
  const specifier: string = ISSUER_CLI;
  try {
    return (await import(specifier)) as IssuerCli;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes('license-manager-issuer')) return undefined;
    throw err;
  }
}

function buildProgram(io: CliIo, issuer: IssuerCli | undefined): Command {
  const program = new Command('license-manager')
    .description('License Manager: on-prem license keys, server IDs and usage limits.')
    .version(moduleVersion, '-V, --version', 'print the version of license-manager')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const register of instanceCommands) register(program, io);
  if (issuer) issuer.registerVendorCommands(program, io);
  else program.addHelpText('after', '\nThe vendor commands (keygen, issue, inspect, vendor) come with the license-manager-issuer package.');
  const strict = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    cmd.commands.forEach(strict);
  };
  strict(program);
  return program;
}

/**
 * Runs the CLI and resolves to its exit code: 0 done, 1 refused input, 2 usage error. `issuer` is the
 * vendor package's commands when the caller has them at hand (the issuer's own tests); by default they
 * are loaded by name when a vendor command is asked for.
 */
export async function runCli(argv: string[], io: CliIo = processIo(), issuerCli?: IssuerCli): Promise<number> {
  const first = argv.find((a) => !a.startsWith('-'));
  const wantsVendor = first === undefined || first === 'help' || VENDOR_COMMANDS.has(first);
  const issuer = issuerCli ?? (wantsVendor ? await loadIssuerCli() : undefined);
  if (first !== undefined && VENDOR_COMMANDS.has(first) && !issuer) {
    io.stderr(
      `error: "license-manager ${first}" is a vendor command: install the license-manager-issuer package to use it (npm install license-manager-issuer).\n`,
    );
    return EXIT_USAGE;
  }
  const program = buildProgram(io, issuer);
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help exits 0; a command group called without a subcommand prints help and exits 1: usage
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const { text, exitCode } = describeError(err);
    io.stderr(text);
    return exitCode;
  }
}
