import { createHash } from 'node:crypto';

/** Option `webhooks` (SPEC 17.2): where every notification of SPEC 7 is also posted. */
export interface WebhookOption {
  url: string;
  /** `slack`: `{ "text": … }` for Slack, Mattermost, Rocket.Chat; `json`: the notification, Standard Webhooks signed */
  format: 'slack' | 'json';
  /** `whsec_<base64>`, required for `json` */
  secret?: string;
}

export interface WebhookTarget {
  /** stable across nodes and restarts: a hash of the URL, stored on the outbox row instead of the URL */
  id: string;
  url: string;
  format: 'slack' | 'json';
  /** the HMAC key, decoded from the secret */
  key: Buffer | null;
  /** what the page shows: the origin, never the path (a Slack URL's path is its secret) */
  label: string;
}

/** The URL's hash: a webhook keeps its rows across restarts, and the URL itself is never stored. */
export const targetId = (url: string): string => `wh_${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

function decodeSecret(secret: string, index: number): Buffer {
  const name = `webhooks[${index}].secret`;
  if (!secret.startsWith('whsec_')) throw new TypeError(`Option "${name}" must be a Standard Webhooks secret: "whsec_" followed by base64.`);
  const body = secret.slice('whsec_'.length);
  const key = Buffer.from(body, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || key.length < 24 || key.length > 64) {
    throw new TypeError(`Option "${name}" must hold 24 to 64 random bytes in base64 after "whsec_".`);
  }
  return key;
}

/** Checks the option (misuse is a TypeError naming it) and prepares each target. */
export function webhookTargets(option: readonly WebhookOption[] | undefined): WebhookTarget[] {
  if (option === undefined) return [];
  if (!Array.isArray(option)) throw new TypeError('Option "webhooks" must be a list of { url, format, secret? }.');
  const targets = option.map((w, i): WebhookTarget => {
    let url: URL;
    try {
      url = new URL(String(w?.url));
    } catch {
      throw new TypeError(`Option "webhooks[${i}].url" must be an absolute http(s) URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Option "webhooks[${i}].url" must be an absolute http(s) URL.`);
    // NOTE: Node's fetch refuses a URL with credentials, so such a webhook would never deliver
    if (url.username || url.password) {
      throw new TypeError(
        `Option "webhooks[${i}].url" carries a user name or password, which cannot be sent (Node's fetch refuses such URLs): ` +
          "put the credentials in the path or a query parameter as the receiver allows, or sign with the json format's secret.",
      );
    }
    if (w.format !== 'slack' && w.format !== 'json') throw new TypeError(`Option "webhooks[${i}].format" must be "slack" or "json".`);
    if (w.format === 'json' && !w.secret)
      throw new TypeError(`Option "webhooks[${i}].secret" is required for the json format: receivers verify the signature with it.`);
    const key = w.secret ? decodeSecret(w.secret, i) : null;
    return { id: targetId(url.href), url: url.href, format: w.format, key, label: `${w.format} ${url.origin}` };
  });
  const ids = new Set(targets.map((t) => t.id));
  if (ids.size !== targets.length) throw new TypeError('Option "webhooks" lists the same URL twice.');
  return targets;
}
