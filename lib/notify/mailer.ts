/**
 * Mail behind a one-method port, whose default wraps a pooled nodemailer transport built from the
 * host's configuration: an SMTP URL, nodemailer transport options, or a transport object.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailOptions } from '../host.js';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** `<id@domain>`: the same notification sent again keeps it, so mail clients show it once */
  messageId?: string;
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
const NOT_SMTP = ['sendmail', 'streamTransport', 'jsonTransport', 'SES'];

// nodemailer's own reader of SMTP URLs (what createTransport(url) uses); nodemailer has no exports map
const { parseConnectionUrl } = createRequire(import.meta.url)('nodemailer/lib/shared') as { parseConnectionUrl(url: string): Record<string, unknown> };

/**
 * nodemailer options from an SMTP URL, read by nodemailer's own parser (host, port, `smtps:` =
 * secure, user and password, query parameters as options, dotted ones nested).
 * NOTE: parsed here rather than passed as `{ url, ...more }`, because createTransport() keeps
 * only the URL's options from such an object and drops the others (our `getSocket`, timeouts).
 */
export function smtpOptionsFromUrl(url: string): Record<string, unknown> {
  return parseConnectionUrl(url);
}

/** The pool on, unless the host's options say otherwise. */
const pooled = (options: Record<string, unknown>) =>
  'pool' in options ? options : { ...options, pool: true, maxConnections: options.maxConnections ?? POOL_CONNECTIONS };

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
  const timer = setTimeout(
    () => socket.destroy(Object.assign(new Error(`Connection timeout to ${host}:${port}`), { code: 'ETIMEDOUT' })),
    options.connectionTimeout ?? 120_000,
  );
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

/** SMTP options with our socket factory (nodemailer's `getSocket` option), unless the host chose how to connect. */
function withNoDelay(options: Record<string, unknown>): Record<string, unknown> {
  if (options.getSocket || options.connection || options.socket || options.proxy) return options;
  return { ...options, getSocket: noDelaySocket };
}

function transporterFor(transport: unknown): { transporter: Transporter; owned: boolean } {
  if (typeof transport === 'string') {
    if (/^direct:/i.test(transport)) return { transporter: nodemailer.createTransport(transport), owned: true };
    if (!/^smtps?:/i.test(transport)) throw new TypeError('mail.transport: a string must be an SMTP URL (smtp://host:port or smtps://…).');
    return smtpTransporter(pooled(smtpOptionsFromUrl(transport)));
  }
  if (transport && typeof transport === 'object') {
    const t = transport as Record<string, unknown>;
    if (typeof t.sendMail === 'function') return { transporter: transport as Transporter, owned: false };
    if (typeof t.send === 'function') return { transporter: nodemailer.createTransport(transport as never), owned: true };
    if (typeof t.url === 'string') {
      const { url, ...rest } = t;
      return smtpTransporter(pooled({ ...smtpOptionsFromUrl(url as string), ...rest }));
    }
    if (NOT_SMTP.some((k) => k in t)) return { transporter: nodemailer.createTransport(t as never), owned: true };
    return smtpTransporter(pooled(t));
  }
  throw new TypeError('mail.transport must be an SMTP URL, nodemailer transport options or a nodemailer transport.');
}

function smtpTransporter(options: Record<string, unknown>): { transporter: Transporter; owned: boolean } {
  return { transporter: nodemailer.createTransport(withNoDelay(options) as never), owned: true };
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
