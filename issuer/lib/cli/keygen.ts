import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateKeyPair } from 'license-manager/formats';
import { UsageError, type CliIo } from 'license-manager/shared';

// NOTE: O_EXCL refuses any existing name, a symbolic link included (even one pointing nowhere),
// and O_NOFOLLOW says so twice: a key is never written through a link someone planted.
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `path` (never an existing file or link) with `mode`, and writes `text`. */
async function createFile(path: string, text: string, mode: number): Promise<void> {
  const file = await open(path, CREATE, mode);
  try {
    await file.writeFile(text);
    await file.chmod(mode); // the umask may have narrowed or widened nothing: say it exactly
  } finally {
    await file.close();
  }
}

/** --force: a new file beside the old one, then a rename, which replaces the name (a link itself, never its target). */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await createFile(temp, text, mode);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

function refusal(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ELOOP') return new UsageError(`${path} exists; a vendor key is not overwritten without --force.`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`${path} cannot be written (permission denied).`);
  if (code === 'EROFS') return new UsageError(`${path} cannot be written (read-only file system).`);
  return err as Error;
}

/**
 * Makes `dir` and its missing parents (0700), one level at a time. NOTE: not mkdir({ recursive })
 * — Node's recursive mkdir spins forever on a path under /proc, where mkdir answers ENOENT for a
 * parent that exists; here every failure is a sentence naming the folder that could not be made.
 */
async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const info = await stat(at).catch((err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' || err.code === 'ENOTDIR' ? undefined : Promise.reject(refusal(at, err)),
    );
    if (info?.isDirectory()) break;
    if (info) throw new UsageError(`${at} is a file, not a folder, so ${dir} cannot be made.`);
    missing.unshift(at);
    if (dirname(at) === at) break;
    at = dirname(at);
  }
  for (const folder of missing) {
    try {
      await mkdir(folder, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      const known = refusal(folder, err);
      if (known instanceof UsageError) throw known;
      throw new UsageError(`The folder ${folder} cannot be made (${code ?? String(err)}).`);
    }
  }
}

export function registerKeygen(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('Make a vendor signing key pair (Ed25519 by default) as JWK files.')
    .requiredOption('--out <dir>', 'folder for private.jwk.json and public.jwk.json (created 0700)')
    .option('--alg <alg>', 'EdDSA (Ed25519) or ES256 (P-256)', 'EdDSA')
    .option('--force', 'replace existing key files')
    .action(async (opts: { out: string; alg: string; force?: boolean }) => {
      if (opts.alg !== 'EdDSA' && opts.alg !== 'ES256') throw new UsageError('--alg must be EdDSA or ES256.');
      const dir = resolve(io.cwd, opts.out);
      const privatePath = join(dir, 'private.jwk.json');
      const publicPath = join(dir, 'public.jwk.json');
      const pair = await generateKeyPair(opts.alg);
      await makeFolder(dir);
      const write = opts.force ? replaceFile : createFile;
      for (const [path, jwk, mode] of [
        [privatePath, pair.privateJwk, 0o600],
        [publicPath, pair.publicJwk, 0o644],
      ] as const) {
        try {
          await write(path, `${JSON.stringify(jwk, null, 2)}\n`, mode);
        } catch (err) {
          // a private key without its public half is useless: take it back
          if (path === publicPath && !opts.force) await unlink(privatePath).catch(() => undefined);
          throw refusal(path, err);
        }
      }
      io.stdout(`kid ${pair.kid}\nprivate key: ${privatePath} (keep it offline)\npublic key:  ${publicPath} (give it to instances)\n`);
    });
}
