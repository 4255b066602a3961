/**
 * Mail behind a one-method port, whose default wraps a pooled nodemailer transport built from the
 * host's configuration: an SMTP URL, nodemailer transport options, or a transport object.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailOptions } from '../jobs/port.js';

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

function transporterFor(transport: unknown): { transporter: Transporter; owned: boolean } {
  if (typeof transport === 'string') {
    if (!/^(smtps?|direct):/i.test(transport)) throw new TypeError('mail.transport: a string must be an SMTP URL (smtp://host:port or smtps://…).');
    return { transporter: nodemailer.createTransport(pooledUrl(transport)), owned: true };
  }
  if (transport && typeof transport === 'object') {
    const t = transport as Record<string, unknown>;
    if (typeof t.sendMail === 'function') return { transporter: transport as Transporter, owned: false };
    if (typeof t.send === 'function') return { transporter: nodemailer.createTransport(transport as never), owned: true };
    if (typeof t.url === 'string') return transporterFor(t.url);
    const options = NOT_SMTP.some((k) => k in t) ? t : { ...t, pool: true, maxConnections: t.maxConnections ?? POOL_CONNECTIONS };
    return { transporter: nodemailer.createTransport(options as never), owned: true };
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
