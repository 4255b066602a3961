/**
 * `npm run bench [-- NAME...]`: runs every `bench/*.bench.ts` module, one after another, and
 * prints one JSON line per figure on stdout (SPEC 13): `{"name":…,"value":…,"unit":…}`.
 *
 * A benchmark is a file `bench/<name>.bench.ts` that exports `async function run(emit)`; adding
 * the file is enough. It may export `order` (a number, default 100) to run earlier; ties run in
 * file-name order. Arguments filter by file name: `npm run bench -- verify loc` runs the files
 * whose name contains "verify" or "loc". Everything but the figures goes to stderr: console.log
 * inside a benchmark is redirected there, so stdout stays machine-readable.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export type Emit = (figure: Figure) => void;

export interface BenchModule {
  run: (emit: Emit) => Promise<void>;
  order?: number;
}

const SUFFIX = '.bench.ts';
const DEFAULT_ORDER = 100;
const NAME = /^[a-z][a-z0-9_]*$/;

const log = (text: string) => process.stderr.write(`${text}\n`);

/** The benchmark files of `dir`, keeping those whose name contains one of `filters` (all when none). */
export function benchFiles(dir: string, filters: readonly string[] = []): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .filter((f) => filters.length === 0 || filters.some((w) => f.slice(0, -SUFFIX.length).includes(w)))
    .sort();
}

/** The one way a figure reaches stdout; refuses a figure that would not parse back. */
export function emitter(write: (line: string) => void = (l) => void process.stdout.write(l)): Emit & { names: Set<string> } {
  const names = new Set<string>();
  const emit = (figure: Figure) => {
    const { name, value, unit } = figure ?? ({} as Figure);
    if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`A figure needs a snake_case name, not ${JSON.stringify(name)}.`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`Figure ${name} needs a finite number, not ${String(value)}.`);
    if (typeof unit !== 'string' || unit.length === 0) throw new TypeError(`Figure ${name} needs a unit.`);
    if (names.has(name)) throw new TypeError(`Figure ${name} was reported twice.`);
    names.add(name);
    write(`${JSON.stringify({ name, value, unit })}\n`);
  };
  return Object.assign(emit, { names });
}

async function main(argv: string[]): Promise<number> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const filters = argv.filter((a) => a.length > 0);
  const files = benchFiles(dir, filters);
  if (files.length === 0) {
    log(`No benchmark matches ${filters.join(', ')}; there are: ${benchFiles(dir).join(', ') || 'none'}.`);
    return 2;
  }

  // NOTE: stdout carries only figures. A benchmark (or a library it drives) that logs with
  // console.log writes to stderr instead.
  for (const method of ['log', 'info', 'debug'] as const) {
    console[method] = (...args: unknown[]) => console.error(...args);
  }

  const modules: { file: string; mod: BenchModule }[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') {
      log(`${file}: exports no run(emit); skipped.`);
      continue;
    }
    modules.push({ file, mod: mod as BenchModule });
  }
  modules.sort((a, b) => (a.mod.order ?? DEFAULT_ORDER) - (b.mod.order ?? DEFAULT_ORDER) || a.file.localeCompare(b.file));

  const emit = emitter();
  let failed = 0;
  for (const { file, mod } of modules) {
    const started = performance.now();
    log(`# ${file}`);
    try {
      await mod.run(emit);
      log(`# ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed++;
      log(`# ${file} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  log(`# ${emit.names.size} figures from ${modules.length} benchmarks${failed ? `, ${failed} failed` : ''}`);
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  // NOTE: a benchmark that leaves a pool or a server open must not hang the run; stdout and
  // stderr are synchronous for files and pipes, so nothing written is lost.
  process.exit(code);
}
