import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { knexConfigFromUrl } from 'license-manager/shared';
import { openVendorRegistry, DEFAULT_REGISTRY_URL, type VendorRegistry } from '../../registry/index.js';
import type { Mailer } from '../../registry/mailer.js';
import type { PrivateJwk } from 'license-manager/formats';
import { readJwk } from 'license-manager/shared';
import { UsageError, type CliIo } from 'license-manager/shared';

const quiet = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

/** Adds `--registry URL` (every vendor command has it). */
export function withRegistryOption(cmd: Command): Command {
  return cmd.option('--registry <url>', 'vendor registry database: sqlite:PATH, postgres://… or mysql://…', DEFAULT_REGISTRY_URL);
}

/**
 * Opens the registry named by `--registry` (a relative SQLite path is relative to the working
 * directory), runs the work and always closes it, so the CLI process can exit.
 */
export async function withRegistry<T>(
  io: CliIo,
  url: string,
  work: (registry: VendorRegistry) => Promise<T>,
  mailer?: Mailer,
  options: { existing?: boolean } = {},
): Promise<T> {
  const config = knexConfigFromUrl(url, io.cwd);
  const filename = (config.connection as { filename?: string } | undefined)?.filename;
  if (options.existing && filename && filename !== ':memory:' && !existsSync(filename)) {
    // a read never creates an empty registry (and then reports it empty)
    throw new UsageError(
      `There is no vendor registry at ${filename}${url === DEFAULT_REGISTRY_URL ? ' (the default, ./vendor-registry.db of the working folder)' : ''}; give the registry with --registry URL, or add a customer first (vendor customer add).`,
    );
  }
  // NOTE: knex prints a failed connect with its stack by itself; the CLI says it once, as a sentence
  const registry = await openVendorRegistry({ db: { ...config, log: quiet }, now: io.now, mailer });
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

export async function readPrivateKey(io: CliIo, path: string): Promise<PrivateJwk> {
  const jwk = await readJwk(io.cwd, path, 'private key');
  if (typeof jwk.d !== 'string') throw new UsageError(`${path} is a public key; --private-key needs the private one.`);
  return jwk as unknown as PrivateJwk;
}

/** Who is issuing, when the command has no `--issued-by`: the login name. */
export function defaultIssuer(io: CliIo): string {
  return io.env.USER || io.env.LOGNAME || io.env.USERNAME || 'vendor';
}
