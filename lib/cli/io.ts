import { isCodedError } from '../errors.js';
import { databaseFailure, redactText } from '../redact.js';
import { tlsRefusal } from '../store/connect.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  cwd: string;
}

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** A usage mistake the parser could not catch (a bad date, a missing file): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, USAGE_ERROR, { value: true });
  }
}

// NOTE: branded like CodedError, so a usage error from the issuer package's copy of this module counts.
const USAGE_ERROR = Symbol.for('license-manager.usage-error');

export function isUsageError(err: unknown): err is UsageError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[USAGE_ERROR] === true;
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}

/** Sentence for stderr, never a stack trace. */
export function describeError(err: unknown): { text: string; exitCode: number } {
  if (isCodedError(err)) return { text: `${err.code}: ${err.message}\n`, exitCode: EXIT_REFUSED };
  const tls = tlsRefusal(err);
  if (tls) return { text: `error: ${tls.message}\n`, exitCode: EXIT_REFUSED };
  if (isUsageError(err) || err instanceof TypeError) return { text: `error: ${redactText(err.message)}\n`, exitCode: EXIT_USAGE };
  // a driver, network or file system error: a sentence from its code, then its own words, redacted
  const failure = databaseFailure(err);
  const raw = redactText(err instanceof Error ? err.message : String(err));
  const sentence = failure.code === 'INTERNAL' ? raw : `${failure.message.replace(/\.$/, '')} (${raw}).`;
  return { text: `error: ${sentence}\n`, exitCode: EXIT_REFUSED };
}
