import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './io.js';

/** Why a file cannot be read, in words: never a bare ENOENT. */
export function unreadable(what: string, path: string, cause: unknown): UsageError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const why: Record<string, string> = {
    ENOENT: 'does not exist',
    EACCES: 'cannot be read (permission denied)',
    EPERM: 'cannot be read (permission denied)',
    EISDIR: 'is a folder, not a file',
    ENOTDIR: 'is not under a folder',
    ELOOP: 'is a loop of symbolic links',
    ENAMETOOLONG: 'is too long a name',
  };
  return new UsageError(`The ${what} file ${path} ${code && why[code] ? why[code] : 'cannot be read'}.`);
}

export async function readText(cwd: string, path: string, what: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch (cause) {
    throw unreadable(what, path, cause);
  }
}

export async function readJwk(cwd: string, path: string, what: string): Promise<Record<string, unknown>> {
  const text = await readText(cwd, path, what);
  try {
    const jwk = JSON.parse(text) as unknown;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new Error('not an object');
    return jwk as Record<string, unknown>;
  } catch {
    throw new UsageError(`The ${what} file ${path} is not a JWK (JSON object).`);
  }
}

/** Whole number option parser for commander. */
export function wholeNumber(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, not "${value}".`);
    return Number(value);
  };
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Writes an output file (replacing it), with a sentence instead of a bare errno. */
export async function writeText(cwd: string, path: string, text: string, what: string): Promise<string> {
  const full = resolve(cwd, path);
  try {
    await writeFile(full, text, { mode: 0o644 });
    return full;
  } catch (cause) {
    throw new UsageError(`Cannot write the ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}.`);
  }
}
