import { runCli as runEmbedCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';
import * as issuerCli from '../../lib/cli/index.js';

/**
 * The `license-manager` command line with this package's commands handed in, as the embed loads them
 * by name from an install. NOTE: mocha loads the tests as CommonJS through tsx, so a by-name import()
 * here would load a second copy of the modules (and their error classes); the by-name dispatch is
 * tested from the packed tarballs in test/packages.
 */
export function runCli(argv: string[], io?: CliIo): Promise<number> {
  return runEmbedCli(argv, io, issuerCli);
}
