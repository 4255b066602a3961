import nodemailer from 'nodemailer';
import { smtpOptionsFromUrl } from 'license-manager/shared';
import type { LicensePayload } from 'license-manager/formats';
import { formatDay, lastValidDay } from 'license-manager/formats';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** The one-method port the registry mails through; a rejection's message is recorded as the reason. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export const DEFAULT_FROM = 'License Manager <no-reply@localhost>';

/**
 * A mailer over nodemailer's SMTP transport, e.g. `smtp://user:pass@mail.example.com:587` or
 * `smtps://…`. One connection per message: the vendor CLI sends one mail and exits.
 * @example
 * const registry = await openVendorRegistry({ db: 'sqlite:./vendor-registry.db', mailer: smtpMailer(process.env.SMTP_URL!) });
 */
export function smtpMailer(url: string, options: { from?: string; timeoutMs?: number } = {}): Mailer {
  if (typeof url !== 'string' || !/^smtps?:\/\//.test(url)) throw new TypeError(`smtp must be an smtp:// or smtps:// URL, not "${String(url)}".`);
  const timeout = options.timeoutMs ?? 15_000;
  return {
    async send(message) {
      // NOTE: `{ url, connectionTimeout }` would lose the timeouts: createTransport keeps only the URL's options
      const transport = nodemailer.createTransport({
        ...smtpOptionsFromUrl(url),
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      } as never);
      try {
        await transport.sendMail({ from: options.from ?? DEFAULT_FROM, to: message.to, subject: message.subject, text: message.text });
      } finally {
        transport.close();
      }
    },
  };
}

const utc = (seconds: number) =>
  new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');

/** The mail that carries an emergency key to the person who asked for it. */
export function emergencyMail(o: { to: string; key: string; payload: LicensePayload; ticket: string }): MailMessage {
  const users = o.payload.limits.users;
  return {
    to: o.to,
    subject: `Your 10-day emergency license (${o.ticket})`,
    text: [
      'Hello,',
      '',
      `Here is the 10-day emergency license you asked for in ${o.ticket}, for up to ${users} users.`,
      `It works on any instance through ${formatDay(lastValidDay(o.payload.exp))}, until ${utc(o.payload.exp).slice(11)} that day; it cannot be extended.`,
      'Paste it on the License Manager page (Set new license), and send us your renewal so we can issue your regular license.',
      '',
      '-----BEGIN LICENSE KEY-----',
      o.key,
      '-----END LICENSE KEY-----',
      '',
      `License ID: ${o.payload.lid}`,
      '',
    ].join('\n'),
  };
}
