import { appendFileSync } from 'node:fs';

/**
 * A nodemailer transport that appends each message to a log file instead of sending it: the
 * demo has no mail server unless SMTP_URL is set.
 */
export function mailLogTransport(path: string) {
  return {
    name: 'demo-mail-log',
    version: '1.0.0',
    send(
      mail: { data: { to?: unknown; subject?: unknown; text?: unknown } },
      callback: (err: Error | null, info: { messageId: string; envelope: object }) => void,
    ) {
      const { to, subject, text } = mail.data;
      const id = `<demo-${Date.now()}-${Math.random().toString(36).slice(2)}@demo.local>`;
      appendFileSync(path, `--- ${new Date().toISOString()} to ${String(to)}\nSubject: ${String(subject)}\n\n${String(text ?? '')}\n\n`);
      callback(null, { messageId: id, envelope: { to: [String(to)] } });
    },
  };
}
