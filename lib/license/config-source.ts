import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where the license in force comes from (SPEC 22): a configuration source, or a key set on the page (API, CLI). */
export type LicenseSource = 'option' | 'env' | 'file' | 'page';
export type ConfigOrigin = Exclude<LicenseSource, 'page'>;

/** One place configuration can give a key: the `licenseKey` option, `LICENSE_KEY`, `LICENSE_KEY_FILE`. */
export interface ConfigSource {
  origin: ConfigOrigin;
  /** how the page and the warnings name it: `the licenseKey option`, `LICENSE_KEY`, `LICENSE_KEY_FILE (/etc/…)` */
  label: string;
  /** the key text (option, env) */
  text?: string;
  /** the file to read (file) */
  path?: string;
}

/** The ring ID of each origin's key: stable, so a reloaded key takes its predecessor's place. */
export const ORIGIN_ORDER: readonly ConfigOrigin[] = ['option', 'env', 'file'];

/**
 * Every configured source, in the order they rank: the option, then LICENSE_KEY, then the file.
 * All that are set are read: when the first is refused, the next one may still be usable.
 */
export function configSources(licenseKey: string | undefined, env: NodeJS.ProcessEnv): ConfigSource[] {
  const out: ConfigSource[] = [];
  if (licenseKey) out.push({ origin: 'option', label: 'the licenseKey option', text: licenseKey });
  if (env.LICENSE_KEY) out.push({ origin: 'env', label: 'LICENSE_KEY', text: env.LICENSE_KEY });
  if (env.LICENSE_KEY_FILE) out.push({ origin: 'file', label: `LICENSE_KEY_FILE (${env.LICENSE_KEY_FILE})`, path: env.LICENSE_KEY_FILE });
  return out;
}

/** A license key is at most 16 KiB (SPEC 3); a file far larger is not read whole. */
const MAX_FILE_BYTES = 64 * 1024;

interface Reading {
  text: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** One read through one open file handle: what was read and the stat of that same file. */
async function readOnce(path: string): Promise<Reading> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_FILE_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
  } finally {
    await handle.close();
  }
}

const same = (a: Reading, b: Reading) => a.text === b.text && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

export type FileRead = { ok: true; text: string } | { ok: false; reason: string; unsettled?: boolean };

/**
 * The file's text once it has settled: two reads `settleMs` apart that agree (same bytes, same
 * size, same modification time, same inode). A writer that truncates and then writes (a plain
 * rewrite) is caught between the two reads and read again. A half-written key that stays still
 * longer than that still fails its signature, and a refused key never replaces a usable one.
 */
export async function readSettled(path: string, options: { settleMs?: number; attempts?: number } = {}): Promise<FileRead> {
  const settleMs = options.settleMs ?? 100;
  const attempts = options.attempts ?? 20;
  try {
    let last = await readOnce(path);
    for (let i = 0; i < attempts; i++) {
      await sleep(settleMs);
      const next = await readOnce(path);
      if (same(last, next)) {
        if (next.size > MAX_FILE_BYTES) return { ok: false, reason: `the file is larger than ${MAX_FILE_BYTES / 1024} KiB, so it is not a license key` };
        return { ok: true, text: next.text };
      }
      last = next;
    }
    return { ok: false, unsettled: true, reason: `the file kept changing for ${Math.round((settleMs * attempts) / 1000)} s` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? 'the file does not exist'
          : code === 'EACCES'
            ? 'the file cannot be read (permission denied)'
            : `the file cannot be read (${code ?? 'error'})`,
    };
  }
}
