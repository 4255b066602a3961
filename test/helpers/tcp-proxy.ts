/**
 * A real TCP proxy for fault-injection tests (like Toxiproxy's `reset_peer`): put it between a
 * client and a server, then `cut()` it to reset every open connection and refuse new ones, and
 * `restore()` it to accept again on the same port. With several targets it forwards each new
 * connection to the next one in turn (round robin), which is how the cluster tests put two node
 * processes behind one address.
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
  /** the given URL with its host and port replaced by the proxy's */
  through(url: string): string;
  close(): Promise<void>;
}

export async function startTcpProxy(targets: Target | Target[]): Promise<TcpProxy> {
  const list = Array.isArray(targets) ? targets : [targets];
  if (list.length === 0) throw new TypeError('startTcpProxy needs at least one target.');
  const open = new Set<net.Socket>();
  const accepted = list.map(() => 0);
  let turn = 0;
  let server: net.Server | undefined;
  let port = 0;

  const onConnection = (client: net.Socket): void => {
    const index = turn++ % list.length;
    accepted[index]++;
    const upstream = net.connect(list[index].port, list[index].host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
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

  await listen();
  return {
    get port() {
      return port;
    },
    accepted,
    async cut() {
      const closing = stopListening();
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
      await closing;
    },
    async restore() {
      if (!server) await listen();
    },
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async close() {
      const closing = stopListening();
      for (const socket of open) socket.destroy();
      open.clear();
      await closing;
    },
  };
}
