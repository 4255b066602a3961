/**
 * A real TCP proxy for fault-injection tests (like Toxiproxy's `reset_peer`): put it between a
 * client and a server, then `cut()` it to reset every open connection and refuse new ones, and
 * `restore()` it to accept again on the same port. With several targets it forwards each new
 * connection to the next one in turn (round robin), which is how the cluster tests put two node
 * processes behind one address.
 *
 * `stall()` is a network partition rather than a reset (SPEC 21): connections stay open and new
 * ones are accepted, but nothing is forwarded either way; what arrives is held, and a side that
 * closes meanwhile is remembered. `flush()` heals it: what was held is delivered in order, then
 * the closes, as a healed network would. `stall({ when })` forwards until a chunk from a client
 * matches (e.g. /COMMIT/), and stalls from that chunk on.
 */
import net from 'node:net';

export interface Target {
  host: string;
  port: number;
}

export interface TcpProxy {
  readonly port: number;
  /** connections accepted so far, per target index */
  readonly accepted: number[];
  /** reset every open connection and refuse new ones until restore() */
  cut(): Promise<void>;
  /** accept connections again on the same port */
  restore(): Promise<void>;
  /** forward nothing from now on (or from the first client chunk matching `when`), holding it */
  stall(options?: { when?: RegExp }): void;
  /** true once a stall has begun (for `when`, once a chunk matched) */
  readonly stalled: boolean;
  /**
   * Delivers what was held, in order, and forwards again. Resolves once every server connection
   * whose client went away during the stall was delivered its bytes and closed by the server,
   * i.e. the server has acted on everything the client ever sent.
   */
  flush(): Promise<void>;
  /** the given URL with its host and port replaced by the proxy's */
  through(url: string): string;
  close(): Promise<void>;
}

const END = Symbol('end');
type Held = Buffer | typeof END;

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** held while stalled, toward the server and toward the client */
  toUpstream: Held[];
  toClient: Held[];
  /** resolves when the server side has closed */
  upstreamClosed: Promise<void>;
}

export async function startTcpProxy(targets: Target | Target[]): Promise<TcpProxy> {
  const list = Array.isArray(targets) ? targets : [targets];
  if (list.length === 0) throw new TypeError('startTcpProxy needs at least one target.');
  const pairs = new Set<Pair>();
  const accepted = list.map(() => 0);
  let turn = 0;
  let server: net.Server | undefined;
  let port = 0;
  let stalled = false;
  let trigger: RegExp | undefined;

  const onConnection = (client: net.Socket): void => {
    const index = turn++ % list.length;
    const target = list[index]!;
    accepted[index] = (accepted[index] ?? 0) + 1;
    const upstream = net.connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair: Pair = {
      client,
      upstream,
      toUpstream: [],
      toClient: [],
      upstreamClosed: new Promise((resolve) => upstream.once('close', () => resolve())),
    };
    pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    // a side that goes away while stalled is told to the other side at flush, after the bytes
    const gone = (from: 'client' | 'upstream') => (): void => {
      if (!pairs.has(pair)) return;
      if (!stalled) {
        drop();
        return;
      }
      const queue = from === 'client' ? pair.toUpstream : pair.toClient;
      if (queue[queue.length - 1] !== END) queue.push(END);
    };
    client.on('data', (chunk: Buffer) => {
      if (!stalled && trigger?.test(chunk.toString('latin1'))) {
        stalled = true;
        trigger = undefined;
      }
      if (stalled) pair.toUpstream.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (stalled) pair.toClient.push(chunk);
      else client.write(chunk);
    });
    client.on('error', gone('client')).on('close', gone('client'));
    upstream.on('error', gone('upstream')).on('close', gone('upstream'));
  };

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  const deliver = (queue: Held[], to: net.Socket): boolean => {
    let ended = false;
    for (const held of queue.splice(0)) {
      if (held === END) ended = true;
      else if (!ended && !to.destroyed) to.write(held);
    }
    if (ended) to.end();
    return ended;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    accepted,
    get stalled() {
      return stalled;
    },
    async cut() {
      const closing = stopListening();
      stalled = false;
      trigger = undefined;
      for (const pair of pairs) {
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      }
      pairs.clear();
      await closing;
    },
    async restore() {
      if (!server) await listen();
    },
    stall(options = {}) {
      if (options.when) trigger = options.when;
      else stalled = true;
    },
    async flush() {
      stalled = false;
      trigger = undefined;
      const waits: Promise<void>[] = [];
      for (const pair of [...pairs]) {
        if (deliver(pair.toUpstream, pair.upstream)) {
          waits.push(pair.upstreamClosed);
          pairs.delete(pair);
          pair.upstreamClosed.then(() => pair.client.destroy());
        }
        if (deliver(pair.toClient, pair.client)) {
          pairs.delete(pair);
          pair.upstream.end();
        }
      }
      await Promise.all(waits);
    },
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async close() {
      const closing = stopListening();
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await closing;
    },
  };
}
