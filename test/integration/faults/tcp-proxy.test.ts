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
      c.once('data', (d) => { resolve(String(d)); c.destroy(); });
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
    const err = await ask(port, 'y').then(() => null, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET']);
    await proxy.restore();
    expect(proxy.port).to.equal(port);
    expect(await ask(port, 'z')).to.equal('a:z');
  });

  it('resets connections that are open when it is cut', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: await echoServer('a') });
    const c = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    const closed = new Promise<NodeJS.ErrnoException | undefined>((r) => { c.once('error', r); c.once('close', () => r(undefined)); });
    await new Promise((r) => setTimeout(r, 20)); // let the proxy accept before the cut
    await proxy.cut();
    const err = await closed;
    expect(err?.code ?? 'closed').to.be.oneOf(['ECONNRESET', 'closed']);
    expect(c.destroyed || c.readyState === 'closed').to.equal(true);
  });

  it('takes turns between several targets', async () => {
    proxy = await startTcpProxy([{ host: '127.0.0.1', port: await echoServer('a') }, { host: '127.0.0.1', port: await echoServer('b') }]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(proxy.port, 'q'));
    expect(answers).to.deep.equal(['a:q', 'b:q', 'a:q', 'b:q']);
    expect(proxy.accepted).to.deep.equal([2, 2]);
  });
});
