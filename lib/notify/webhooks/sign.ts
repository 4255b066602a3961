import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks headers (https://www.standardwebhooks.com): the signature is the base64
 * HMAC-SHA256 of `id.timestamp.body` under the secret's bytes, as `v1,<base64>`.
 */
export function signedHeaders(key: Buffer, id: string, at: Date, body: string): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
