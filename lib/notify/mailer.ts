/**
 * Mail behind a one-method port, whose default wraps a pooled nodemailer transport built from the
 * host's configuration: an SMTP URL, nodemailer transport options, or a transport object.
 */
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailOptions } from '../host.js';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  /** false when the host gave no `mail` option: nothing can be sent */
  readonly configured: boolean;
  send(message: MailMessage): Promise<void>;
  /** closes the pooled connections (a transporter the host passed in stays the host's) */
  close(): void;
}

/** connections kept open to the SMTP server: enough to keep it busy, few enough to be polite */
export const POOL_CONNECTIONS = 5;
/** keys that select a transport other than SMTP in nodemailer's options */
const NOT_SMTP = ['sendmail', 'streamTransport', 'jsonTransport', 'SES', 'pool'];

/** An SMTP URL with nodemailer's pool switched on, unless the URL says otherwise. */
function pooledUrl(url: string): string {
  if (!/^smtps?:/i.test(url)) return url;
  const u = new URL(url);
  if (!u.searchParams.has('pool')) {
    u.searchParams.set('pool', 'true');
    if (!u.searchParams.has('maxConnections')) u.searchParams.set('maxConnections', String(POOL_CONNECTIONS));
  }
  return u.toString();
}

interface SocketOptions {
  host?: string;
  port?: number | string;
  secure?: boolean;
  localAddress?: string;
  connectionTimeout?: number;
}
type SocketCallback = (err: Error | null, socketOptions?: { connection: net.Socket }) => void;

/**
 * Opens the TCP connection as nodemailer would (same host, port and defaults), with TCP_NODELAY.
 * NOTE: nodemailer writes a message's body and its final `.` in two writes and leaves Nagle's
 * algorithm on, so the final `.` waits for the server's delayed ACK: about 40 ms per message and
 * connection, 25 messages a second. With TCP_NODELAY a message costs its round trips only.
 */
export function noDelaySocket(options: SocketOptions, callback: SocketCallback): void {
  const secure = options.secure ?? Number(options.port) === 465;
  const port = Number(options.port) || (secure ? 465 : 587);
  const host = options.host || 'localhost';
  const socket = net.connect({ host, port, noDelay: true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`Connection timeout to ${host}:${port}`), { code: 'ETIMEDOUT' })), options.connectionTimeout ?? 120_000);
  const onError = (err: Error): void => {
    clearTimeout(timer);
    callback(err);
  };
  socket.once('error', onError);
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.off('error', onError);
    callback(null, { connection: socket });
  });
}

/** Gives nodemailer's SMTP transport our socket factory, unless the host set its own (or a proxy). */
function useNoDelay(transporter: Transporter): Transporter {
  const inner = (transporter as unknown as { transporter?: Record<string, unknown> }).transporter;
  if (inner && typeof inner.getSocket === 'function' && !Object.prototype.hasOwnProperty.call(inner, 'getSocket') && typeof inner.options === 'object') {
    const options = inner.options as Record<string, unknown>;
    if (!options.connection && !options.socket && !options.proxy) inner.getSocket = noDelaySocket;
  }
  return transporter;
}

function transporterFor(transport: unknown): { transporter: Transporter; owned: boolean } {
  if (typeof transport === 'string') {
    if (!/^(smtps?|direct):/i.test(transport)) throw new TypeError('mail.transport: a string must be an SMTP URL (smtp://host:port or smtps://…).');
    return { transporter: useNoDelay(nodemailer.createTransport(pooledUrl(transport))), owned: true };
  }
  if (transport && typeof transport === 'object') {
    const t = transport as Record<string, unknown>;
    if (typeof t.sendMail === 'function') return { transporter: transport as Transporter, owned: false };
    if (typeof t.send === 'function') return { transporter: nodemailer.createTransport(transport as never), owned: true };
    if (typeof t.url === 'string') return transporterFor(t.url);
    const options = NOT_SMTP.some((k) => k in t) ? t : { ...t, pool: true, maxConnections: t.maxConnections ?? POOL_CONNECTIONS };
    return { transporter: useNoDelay(nodemailer.createTransport(options as never)), owned: true };
  }
  throw new TypeError('mail.transport must be an SMTP URL, nodemailer transport options or a nodemailer transport.');
}

/** A mailer for the host's `mail` option; without it, a mailer that is not configured. */
export function createMailer(mail: MailOptions | undefined): Mailer {
  if (mail === undefined) {
    return {
      configured: false,
      send: async () => {
        throw new Error('Mail is not configured.');
      },
      close: () => undefined,
    };
  }
  if (typeof mail.from !== 'string' || mail.from.trim() === '') {
    throw new TypeError('mail.from must be the sender address, for example "License Manager <license@example.com>".');
  }
  const { transporter, owned } = transporterFor(mail.transport);
  return {
    configured: true,
    async send(message) {
      await transporter.sendMail({ from: mail.from, ...message });
    },
    close() {
      if (owned) transporter.close();
    },
  };
}
