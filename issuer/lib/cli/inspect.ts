import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LicenseError } from 'license-manager/formats';
import { MAX_KEY_BYTES, parseKey } from 'license-manager/formats';
import { verifyLicenseKey } from 'license-manager/formats';
import type { PublicJwk } from 'license-manager/formats';
import type { CliIo } from 'license-manager/shared';
import { formatDay, graceLastDay, lastValidDay } from 'license-manager/formats';
import { readText, repeatable } from 'license-manager/shared';
import { publicKeysFrom } from 'license-manager/shared';

/**
 * A key given inline, or the path of a file that holds one. A file that exists wins, so that
 * `customer.license.key` is read rather than taken for a three-part key.
 */
export async function keyArgument(cwd: string, keyOrFile: string): Promise<string> {
  let size: number | undefined;
  let exists = false;
  try {
    const info = await stat(resolve(cwd, keyOrFile));
    exists = true;
    if (info.isFile()) size = info.size;
  } catch {
    // not a path (or a key too long to be a file name): the argument is the key itself
  }
  if (size === undefined) {
    // a key is three base64url parts: no slash, no file name ending; a path that names nothing is said so
    if (exists || /[/\\]/.test(keyOrFile) || /\.(key|lic|license|txt|jws|jwt|json)$/i.test(keyOrFile)) {
      await readText(cwd, keyOrFile, 'license key'); // throws the sentence: does not exist, is a folder, …
    }
    return keyOrFile;
  }
  if (size > 4 * MAX_KEY_BYTES) throw new LicenseError('KEY_TOO_LARGE'); // not read into memory at all
  return readText(cwd, keyOrFile, 'license key');
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
        const publicKeys = await publicKeysFrom(io, opts.publicKey, { required: false });
        ({ header, payload } = await verifyLicenseKey(key, { publicKeys: publicKeys as PublicJwk[] }));
        verified = true;
      } else {
        ({ header, payload } = parseKey(key));
      }
      const p = payload as Record<string, unknown>;
      const exp = typeof p?.exp === 'number' ? p.exp : undefined;
      const validUntil = exp === undefined ? undefined : lastValidDay(exp);
      const graceUntil = exp === undefined ? undefined : graceLastDay({ exp, grace: typeof p.grace === 'number' ? p.grace : undefined });
      const dates = { iat: iso(p?.iat), nbf: iso(p?.nbf), exp: iso(p?.exp), validUntil, graceUntil };
      if (opts.json) {
        io.stdout(`${JSON.stringify({ header, payload, dates, signature: verified ? 'valid' : 'not checked' }, null, 2)}\n`);
        return;
      }
      io.stdout(`header:  ${JSON.stringify(header)}\n`);
      io.stdout(`payload: ${JSON.stringify(payload, null, 2)}\n`);
      io.stdout(`issued ${dates.iat ?? '?'}, valid from ${dates.nbf ?? '?'}\n`);
      io.stdout(`valid until ${formatDay(validUntil)} (the last day, UTC); commercial features stay on through ${formatDay(graceUntil)}\n`);
      io.stdout(verified ? 'signature: valid\n' : 'signature: not checked (pass --public-key to verify)\n');
    });
}
