import { expect } from 'chai';
import net from 'node:net';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

/** The fault fixture itself: it forwards, cuts for real, comes back, and takes turns. */
describe('test helper: TCP proxy', () => {
  const servers: net.Server[] = [];
  let proxy: TcpProxy | undefined;

  async function echoServer(tag: string): Promise<number> {
    const s = net.createServer((c) => c.on('error', () => undefined).on('data', (d) => c.write(`${tag}:${d}`)));
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as net.AddressInfo).port;
  }

  function ask(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.write(text));
      c.once('data', (d) => {
        resolve(String(d));
        c.destroy();
      });
      c.on('error', reject);
    });
  }

  afterEach(async () => {
    await proxy?.close();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('forwards, refuses while cut, and forwards again after restore on the same port', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: await echoServer('a') });
    expect(await ask(proxy.port, 'x')).to.equal('a:x');
    const port = proxy.port;
    await proxy.cut();
    const err = await ask(port, 'y').then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET']);
    await proxy.restore();
    expect(proxy.port).to.equal(port);
    expect(await ask(port, 'z')).to.equal('a:z');
  });

  it('resets connections that are open when it is cut', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: await echoServer('a') });
    const c = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    const closed = new Promise<NodeJS.ErrnoException | undefined>((r) => {
      c.once('error', r);
      c.once('close', () => r(undefined));
    });
    await new Promise((r) => setTimeout(r, 20)); // let the proxy accept before the cut
    await proxy.cut();
    const err = await closed;
    expect(err?.code ?? 'closed').to.be.oneOf(['ECONNRESET', 'closed']);
    expect(c.destroyed || c.readyState === 'closed').to.equal(true);
  });

  it('stalls: holds what each side sends, keeps the connection open, and delivers it in order at flush', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: await echoServer('a') });
    const c = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    const received: string[] = [];
    c.on('data', (d) => received.push(String(d)));
    proxy.stall();
    c.write('x');
    await new Promise((r) => setTimeout(r, 100)); // nothing may arrive; there is nothing to wait for
    expect(received).to.deep.equal([]);
    expect(c.destroyed).to.equal(false);
    await proxy.flush();
    await new Promise((r) => c.once('data', r));
    expect(received.join('')).to.equal('a:x');
    c.destroy();
  });

  it('stalls from the first chunk that matches, and delivers it and the close when it heals', async () => {
    const got: string[] = [];
    let ended!: () => void;
    const serverSawEnd = new Promise<void>((r) => (ended = r));
    const s = net.createServer((c) =>
      c
        .on('error', () => undefined)
        .on('data', (d) => got.push(String(d)))
        .on('end', () => {
          ended();
          c.end();
        }),
    );
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    proxy = await startTcpProxy({ host: '127.0.0.1', port: (s.address() as net.AddressInfo).port });
    const c = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    proxy.stall({ when: /COMMIT/ });
    c.write('BEGIN');
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).to.deep.equal(['BEGIN']);
    expect(proxy.stalled).to.equal(false);
    c.write('COMMIT');
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.stalled).to.equal(true);
    // the client gives up and closes; the server hears of it only after the held bytes
    c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(got).to.deep.equal(['BEGIN']);
    await proxy.flush();
    await serverSawEnd;
    expect(got.join('')).to.equal('BEGINCOMMIT');
  });

  it('takes turns between several targets', async () => {
    proxy = await startTcpProxy([
      { host: '127.0.0.1', port: await echoServer('a') },
      { host: '127.0.0.1', port: await echoServer('b') },
    ]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(proxy.port, 'q'));
    expect(answers).to.deep.equal(['a:q', 'b:q', 'a:q', 'b:q']);
    expect(proxy.accepted).to.deep.equal([2, 2]);
  });
});
