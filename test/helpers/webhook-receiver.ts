/**
 * A real HTTP server on 127.0.0.1 and a random port that records every POST it gets and answers
 * as the test says (a status, or never: a receiver that hangs). A request is recorded before it
 * is answered, so when the sender's request resolves it is already in `requests`.
 * @example
 * const hook = await startReceiver();
 * hook.respond = (n) => (n === 1 ? 500 : 204); // fail the first delivery
 * await hook.stop();
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** the status answered, or 'hang' */
  answered: number | 'hang';
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** the answer to the n-th request (1-based); default 200 */
  respond: (n: number, request: ReceivedRequest) => number | 'hang';
  /** requests answered with a 2xx */
  accepted(): ReceivedRequest[];
  stop(): Promise<void>;
}

export async function startReceiver(path = '/hook/T000/B000/secret-part'): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const receiver = {
    requests,
    respond: (() => 200) as WebhookReceiver['respond'],
  } as WebhookReceiver & { url: string };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: 200 };
      requests.push(request);
      request.answered = receiver.respond(requests.length, request);
      if (request.answered === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(request.answered, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}${path}`;
  receiver.accepted = () => requests.filter((r) => typeof r.answered === 'number' && r.answered >= 200 && r.answered < 300);
  receiver.stop = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
