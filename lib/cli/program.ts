import { Command, CommanderError } from 'commander';
import { describeError, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io.js';
import { moduleVersion } from '../version.js';
import { registerKeygen } from './keygen.js';
import { registerIssue } from './issue.js';
import { registerInspect } from './inspect.js';
import { registerVendor } from './vendor.js';
import { registerInstance } from './instance.js';
import { registerServe } from './serve.js';
import { registerOffline } from './offline.js';
import { registerAudit } from './audit.js';
import { registerClockReset } from './clock-reset.js';
import { registerMigrate } from './migrate.js';
import { registerExtend } from './extend.js';

type Register = (program: Command, io: CliIo) => void;

/** Commands added by later parts of the module register themselves here. */
const registrations: Register[] = [registerKeygen, registerIssue, registerInspect, registerVendor, registerInstance, registerServe, registerAudit, registerClockReset, registerOffline, registerMigrate, registerExtend];

export function addCommands(...more: Register[]): void {
  registrations.push(...more);
}

function buildProgram(io: CliIo): Command {
  const program = new Command('license-manager')
    .description('License Manager: on-prem license keys, server IDs and usage limits.')
    .version(moduleVersion, '-V, --version', 'print the version of license-manager')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const register of registrations) register(program, io);
  const strict = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    cmd.commands.forEach(strict);
  };
  strict(program);
  return program;
}

/** Runs the CLI and resolves to its exit code: 0 done, 1 refused input, 2 usage error. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
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
