import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseKey } from '../keys/parse.js';
import { verifyLicenseKey } from '../keys/verify.js';
import type { PublicJwk } from '../keys/jwk.js';
import type { CliIo } from './io.js';
import { readJwk, repeatable } from './files.js';

/** A key given inline, or the path of a file that holds one. */
export async function keyArgument(cwd: string, keyOrFile: string): Promise<string> {
  if (keyOrFile.includes('.') && keyOrFile.split('.').length === 3 && !keyOrFile.includes('/')) {
    return keyOrFile;
  }
  try {
    return await readFile(resolve(cwd, keyOrFile), 'utf8');
  } catch {
    return keyOrFile; // not a file: let the key parser say what is wrong with it
  }
}

const iso = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);

export function registerInspect(program: Command, io: CliIo): void {
  program
    .command('inspect')
    .description('Show what a license key says; with --public-key, verify it too.')
    .argument('<key-or-file>', 'the key, or a file that holds it')
    .option('--public-key <file>', 'vendor public JWK to verify against (repeatable)', repeatable)
    .option('--json', 'print JSON only')
    .action(async (keyOrFile: string, opts: { publicKey?: string[]; json?: boolean }) => {
      const key = await keyArgument(io.cwd, keyOrFile);
      let verified: boolean | undefined;
      let header: unknown;
      let payload: unknown;
      if (opts.publicKey && opts.publicKey.length > 0) {
        const publicKeys = await Promise.all(opts.publicKey.map((f) => readJwk(io.cwd, f, 'public key')));
        ({ header, payload } = await verifyLicenseKey(key, { publicKeys: publicKeys as PublicJwk[] }));
        verified = true;
      } else {
        ({ header, payload } = parseKey(key));
      }
      const p = payload as Record<string, unknown>;
      const dates = { iat: iso(p?.iat), nbf: iso(p?.nbf), exp: iso(p?.exp) };
      if (opts.json) {
        io.stdout(JSON.stringify({ header, payload, dates, signature: verified ? 'valid' : 'not checked' }, null, 2) + '\n');
        return;
      }
      io.stdout(`header:  ${JSON.stringify(header)}\n`);
      io.stdout(`payload: ${JSON.stringify(payload, null, 2)}\n`);
      io.stdout(`issued ${dates.iat ?? '?'}, valid from ${dates.nbf ?? '?'}, expires ${dates.exp ?? '?'}\n`);
      io.stdout(verified ? 'signature: valid\n' : 'signature: not checked (pass --public-key to verify)\n');
    });
}
