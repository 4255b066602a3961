import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateKeyPair } from '../keys/sign.js';
import { UsageError, type CliIo } from './io.js';

export function registerKeygen(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('Make a vendor signing key pair (Ed25519 by default) as JWK files.')
    .requiredOption('--out <dir>', 'folder for private.jwk.json and public.jwk.json')
    .option('--alg <alg>', 'EdDSA (Ed25519) or ES256 (P-256)', 'EdDSA')
    .option('--force', 'overwrite existing key files')
    .action(async (opts: { out: string; alg: string; force?: boolean }) => {
      if (opts.alg !== 'EdDSA' && opts.alg !== 'ES256') throw new UsageError('--alg must be EdDSA or ES256.');
      const dir = resolve(io.cwd, opts.out);
      const privatePath = join(dir, 'private.jwk.json');
      const publicPath = join(dir, 'public.jwk.json');
      if (!opts.force) {
        for (const path of [privatePath, publicPath]) {
          if (await exists(path)) throw new UsageError(`${path} exists; a vendor key is not overwritten without --force.`);
        }
      }
      const pair = await generateKeyPair(opts.alg);
      await mkdir(dir, { recursive: true });
      await writeFile(privatePath, JSON.stringify(pair.privateJwk, null, 2) + '\n', { mode: 0o600 });
      // NOTE: `mode` applies only when the file is created; an overwritten (--force) file keeps
      // its old, maybe readable, mode.
      await chmod(privatePath, 0o600);
      await writeFile(publicPath, JSON.stringify(pair.publicJwk, null, 2) + '\n');
      io.stdout(`kid ${pair.kid}\nprivate key: ${privatePath} (keep it offline)\npublic key:  ${publicPath} (give it to instances)\n`);
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
