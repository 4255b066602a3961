/**
 * A real SMTP server for tests (the smtp-server package) on 127.0.0.1 and a random port, that
 * parses every message it accepts with mailparser. A message is stored before the server answers
 * 250, so when `sendMail` resolves the message is already in `messages`: no waiting needed.
 * @example
 * const smtp = await startSmtp();
 * // ... mail to smtp.url ...
 * expect(smtp.messages.map((m) => m.to)).to.deep.equal([['ada@example.com']]);
 * await smtp.stop();
 */
import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** envelope recipients (RCPT TO), lower-case */
  to: string[];
  from: string;
  /** null when the server was started with `parse: false` */
  parsed: ParsedMail | null;
}

export interface SmtpTestServer {
  readonly port: number;
  /** smtp://127.0.0.1:PORT */
  readonly url: string;
  readonly messages: ReceivedMail[];
  /** messages accepted since start, also when not parsed */
  readonly accepted: number;
  /** SMTP connections opened since start: shows whether a client pools them */
  readonly connections: number;
  /** while true, every message is answered 451 (a transient failure with the port open) */
  failing: boolean;
  /** accept this many more messages, then answer 451 to the rest (an outage in the middle of a run) */
  failAfter: number | null;
  /** addresses refused for good with 550 at RCPT TO */
  readonly refuse: Set<string>;
  /** the messages received by one address */
  to(address: string): ReceivedMail[];
  /** forgets the messages received so far, and any failure set up */
  clear(): void;
  /** closes the port: connections are refused until restart() */
  stop(): Promise<void>;
  /** listens again on the same port */
  restart(): Promise<void>;
}

export interface SmtpOptions {
  port?: number;
  /** false: count messages without parsing them (benchmarks) */
  parse?: boolean;
}

function transient(message: string): Error {
  return Object.assign(new Error(message), { responseCode: 451 });
}

export async function startSmtp(options: SmtpOptions = {}): Promise<SmtpTestServer> {
  const parse = options.parse ?? true;
  const messages: ReceivedMail[] = [];
  const refuse = new Set<string>();
  let accepted = 0;
  let connections = 0;
  let server: SMTPServer | null = null;
  let port = options.port ?? 0;

  const state: SmtpTestServer = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get accepted() {
      return accepted;
    },
    get connections() {
      return connections;
    },
    failing: false,
    failAfter: null,
    refuse,
    to: (address) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    clear() {
      messages.length = 0;
      state.failing = false;
      state.failAfter = null;
      refuse.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = null;
        if (!s) return resolve();
        s.close(() => resolve());
      }),
    restart: () => listen(),
  };

  const shouldFail = (): boolean => {
    if (state.failing) return true;
    if (state.failAfter === null) return false;
    if (state.failAfter <= 0) return true;
    state.failAfter--;
    return false;
  };

  const listen = (): Promise<void> => {
    const s = new SMTPServer({
      authOptional: true,
      // NOTE: no STARTTLS: nodemailer would upgrade to the server's self-signed certificate and refuse it.
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onConnect(_session, callback) {
        connections++;
        callback();
      },
      onRcptTo(address, _session, callback) {
        if (refuse.has(address.address.toLowerCase())) {
          return callback(Object.assign(new Error(`No such user here: ${address.address}`), { responseCode: 550 }));
        }
        callback();
      },
      onData(stream, session, callback) {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        if (shouldFail()) {
          stream.resume();
          stream.on('end', () => callback(transient('Mailbox busy, try again later')));
          return;
        }
        if (!parse) {
          stream.resume();
          stream.on('end', () => {
            accepted++;
            callback();
          });
          return;
        }
        simpleParser(stream).then(
          (parsed) => {
            accepted++;
            messages.push({ to, from, parsed });
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    return new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        s.on('error', () => undefined); // client resets during stop(): not the test's concern
        port = (s.server.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  };

  await listen();
  return state;
}

/** An SMTP URL on a port where nothing listens: SMTP is down. */
export async function closedSmtpUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `smtp://127.0.0.1:${port}`;
}
