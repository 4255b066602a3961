/**
 * Host nodes as separate OS processes (test/helpers/cluster-node.ts) and an HTTP client that
 * opens a new TCP connection for every request, so a round-robin proxy in front of the nodes
 * (test/helpers/tcp-proxy.ts) sends each request to the next node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./cluster-node.ts', import.meta.url));

export interface NodeProcess {
  readonly port: number;
  /** http://127.0.0.1:PORT/admin/license */
  readonly base: string;
  /** what the process wrote, for the failure message */
  readonly output: string;
  /** SIGTERM, then wait for the exit */
  stop(): Promise<void>;
}

/** Starts one node; resolves when it serves, rejects with its output when it exits first. */
export function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\d+)/.exec(output);
      if (ready) {
        child.stdout!.off('data', onData);
        const port = Number(ready[1]);
        resolve({
          port,
          base: `http://127.0.0.1:${port}/admin/license`,
          get output() {
            return output;
          },
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => reject(new Error(`The node exited (${code ?? signal}) before it served:\n${output}`)));
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request on its own connection (`Connection: close`). */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A browser without JavaScript: one cookie jar, whichever node answers. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  private keep(reply: Reply): Reply {
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return reply;
  }

  private get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** GETs the page; returns the reply and the form token in it. */
  async page(base: string): Promise<Reply & { token: string }> {
    const reply = this.keep(await request(`${base}/`, { headers: { cookie: this.cookie } }));
    return { ...reply, token: /name="_csrf" value="([^"]+)"/.exec(reply.text)?.[1] ?? '' };
  }

  async post(url: string, fields: Record<string, string>): Promise<Reply> {
    return this.keep(
      await request(url, {
        method: 'POST',
        headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }
}

/** Asks `probe` up to `tries` times, `everyMs` apart, until it is true. Never a timed assertion. */
export async function eventually(probe: () => Promise<boolean>, tries = 60, everyMs = 250): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}
