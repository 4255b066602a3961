/**
 * The two packages as a host and a vendor get them: `npm pack` tarballs installed into scratch folders
 * with npm itself (from npm's cache where it can: the registry's copies of express, knex, pg …).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');

export interface Tarballs {
  dir: string;
  embed: string;
  issuer: string;
}

/** Builds both packages from the sources and packs them (`npm pack`), as a release would. */
export async function packBoth(): Promise<Tarballs> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-pack-'));
  await exec('npm', ['run', 'build'], { cwd: REPO, maxBuffer: 64 << 20 });
  // NOTE: --ignore-scripts: the build just ran; prepare/prepack would run it again for each package
  const packed = async (args: string[]) => {
    const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, ...args], { cwd: REPO, maxBuffer: 64 << 20 });
    const [info] = JSON.parse(stdout) as { filename: string }[];
    return join(dir, info!.filename);
  };
  return { dir, embed: await packed([]), issuer: await packed(['-w', 'issuer']) };
}

/** The file names inside a tarball (without npm's `package/` prefix). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['tzf', tarball], { maxBuffer: 64 << 20 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

/** An empty folder with a package.json, then `npm install --omit=dev` of what is given. */
export async function scratchInstall(name: string, specs: string[], npmFlags: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `lm-${name}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module' }));
  if (specs.length > 0) {
    await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...npmFlags, ...specs], {
      cwd: dir,
      maxBuffer: 64 << 20,
    });
  }
  return dir;
}

/** Every installed package under node_modules (scoped ones counted one by one). */
export function installedPackages(dir: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const path = join(modules, entry);
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path)) visit(join(path, scoped));
      } else visit(path);
    }
  };
  const visit = (pkg: string) => {
    if (!existsSync(join(pkg, 'package.json'))) return;
    found.push(pkg);
    walk(join(pkg, 'node_modules'));
  };
  walk(join(dir, 'node_modules'));
  return found;
}

/** Packages that compile native code when installed (a binding.gyp, or a built .node addon). */
export function nativeBuilds(dir: string): string[] {
  return installedPackages(dir).filter((pkg) => existsSync(join(pkg, 'binding.gyp')) || existsSync(join(pkg, 'build', 'Release')));
}

/** Bytes on disk under a folder (files only, symbolic links not followed). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const st = lstatSync(path);
    if (st.isDirectory()) total += folderBytes(path);
    else if (st.isFile()) total += statSync(path).size;
  }
  return total;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
