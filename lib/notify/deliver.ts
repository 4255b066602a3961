/**
 * Sends one rendered notification to many administrators, one message each, several at a time
 * through the pooled transport. Who got it is recorded as it happens (in batches), so a retry
 * after an outage mails only those who did not.
 */
import { failureText, mailFailure } from '../redact.js';
import type { Mailer } from './mailer.js';
import type { RenderedEmail } from './render.js';

export interface Handled {
  email: string;
  /** set when the server refused this address for good */
  error?: string;
}

export interface DeliverOptions {
  mailer: Mailer;
  email: RenderedEmail;
  recipients: readonly string[];
  /** messages in flight at once; the pool queues what its connections cannot take yet */
  concurrency?: number;
  /** the same for every recipient and every attempt (SPEC 21); nodemailer makes one up when absent */
  messageId?: string;
  /** records addresses handled so far; awaited, so a crash loses at most one batch */
  record: (handled: Handled[]) => Promise<void>;
  batchSize?: number;
}

export interface DeliverResult {
  delivered: number;
  refused: Handled[];
  /** the transient failure that stopped the delivery (SMTP down, 4xx): retry later */
  error: Error | null;
}

/** A 5xx on the recipient: the address will not work tomorrow either, so it is not retried. */
function isPermanentRefusal(err: unknown): boolean {
  const e = err as { code?: string; responseCode?: number };
  return e?.code === 'EENVELOPE' && typeof e.responseCode === 'number' && e.responseCode >= 500;
}

export async function deliver(options: DeliverOptions): Promise<DeliverResult> {
  const { mailer, email, recipients, record } = options;
  const concurrency = options.concurrency ?? 50;
  const batchSize = options.batchSize ?? 250;
  let next = 0;
  let delivered = 0;
  let error: Error | null = null;
  const refused: Handled[] = [];
  let buffer: Handled[] = [];
  // NOTE: flushes are chained so batches are written one after the other, never concurrently.
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    const batch = buffer;
    buffer = [];
    if (batch.length > 0) flushing = flushing.then(() => record(batch));
    return flushing;
  };

  const worker = async (): Promise<void> => {
    while (error === null && next < recipients.length) {
      const to = recipients[next++]!; // next < length, checked above
      try {
        await mailer.send({ to, subject: email.subject, html: email.html, text: email.text, ...(options.messageId ? { messageId: options.messageId } : {}) });
        delivered++;
        buffer.push({ email: to });
      } catch (err) {
        if (isPermanentRefusal(err)) {
          // NOTE: stored and shown, so a code and a fixed sentence: the server's text names the address
          const handled = { email: to, error: failureText(mailFailure(err)) };
          refused.push(handled);
          buffer.push(handled);
        } else {
          error ??= err instanceof Error ? err : new Error(String(err));
        }
      }
      if (buffer.length >= batchSize) {
        try {
          await flush();
        } catch (err) {
          error ??= err as Error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, recipients.length) }, worker));
  await flush();
  return { delivered, refused, error };
}
