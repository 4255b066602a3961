/**
 * Prometheus for tests: `promtool` and a real `prometheus` server (Debian's `prometheus` package;
 * PROMTOOL_PATH / PROMETHEUS_PATH override). A missing binary prints a loud SKIP line, or fails
 * the run under CI=true.
 * @example
 * before(function () { requirePrometheus(this); });
 * const prom = await startPrometheus({ target: '127.0.0.1:8080', metricsPath: '/admin/license/metrics' });
 * const value = await prom.query('license_usage{resource="loc"}');
 * await prom.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
export const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

/** Call in a before(): skips loudly when the binary is missing, fails under CI=true. */
export function requireBinary(ctx: Mocha.Context, path: string): void {
  if (existsSync(path)) return;
  const reason = `${path} is not installed (Debian package "prometheus")`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.warn(`\n  ######## SKIP: Prometheus tests — ${reason}. ########\n`);
  ctx.skip();
}

/** Runs promtool; resolves to its exit code and output (stdin given as `input`). */
export function promtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A free TCP port on 127.0.0.1 (Prometheus cannot listen on port 0 and say which it got). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface PrometheusServer {
  url: string;
  /** the instant vector of `expr`, as [labels, value] */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` up to `tries` times, `everyMs` apart; resolves to its first truthy answer. */
export async function poll<T>(check: () => Promise<T | undefined>, tries: number, everyMs: number): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const answer = await check().catch(() => undefined);
    if (answer) return answer;
    await pause(everyMs);
  }
  return undefined;
}

/** Starts Prometheus in a temp dir scraping one target every second. */
export async function startPrometheus(options: { target: string; metricsPath: string }): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: license-manager',
      `    metrics_path: ${options.metricsPath}`,
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let url = '';
  let log = '';
  // NOTE: the free port may be taken between the probe and Prometheus binding it: try again.
  for (let attempt = 0; attempt < 3 && !url; attempt++) {
    const port = await freePort();
    child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
    });
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    const ready = await Promise.race([
      poll(async () => ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok ? true : undefined), 100, 100),
      exited.then(() => undefined),
    ]);
    if (ready) url = `http://127.0.0.1:${port}`;
    else child.kill('SIGKILL');
  }
  if (!url || !child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prometheus did not become ready: ${log.slice(-2000)}`);
  }
  const proc = child;
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async stop() {
      const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
      proc.kill('SIGTERM');
      await Promise.race([exited, pause(10_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
