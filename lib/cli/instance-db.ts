import { existsSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { knexConfigFromUrl } from '../store/connect.js';
import { UsageError } from './io.js';

// NOTE: knex prints pool errors with their stack on the console by itself; the CLI reports the
// failure once, as a sentence (describeError).
const quiet = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

/**
 * The knex config of an instance's existing database, for the commands that read one: a SQLite
 * path that does not exist is refused rather than created empty (only `serve` makes its own).
 */
export function instanceDbConfig(url: string, cwd: string): Knex.Config {
  const config = knexConfigFromUrl(url, cwd);
  const filename = (config.connection as { filename?: string } | undefined)?.filename;
  if (filename && filename !== ':memory:' && !existsSync(filename)) {
    throw new UsageError(`There is no SQLite database at ${filename}; give the path of the instance's database file.`);
  }
  return { ...config, log: quiet };
}

/**
 * Connects once before a command opens the license manager, so that a database that cannot be
 * reached is one sentence naming where and why (describeError), not DATABASE_UNAVAILABLE's "try
 * again" after the manager's own retries; a read has nothing to say about changes.
 */
export async function probeDatabase(config: Knex.Config): Promise<void> {
  const knex = knexFactory({ ...config, log: quiet, acquireConnectionTimeout: 10_000, pool: { min: 0, max: 1 } });
  try {
    await knex.raw('select 1');
  } finally {
    await knex.destroy();
  }
}
