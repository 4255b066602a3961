import type { Knex } from 'knex';
import type { Request } from 'express';
import type { PublicJwk } from './keys/jwk.js';
import type { GlobalAdmin, Logger, MailOptions } from './host.js';
import { webhookTargets, type WebhookOption } from './notify/webhooks/index.js';

/** Options of createLicenseManager (SPEC 9). */
export interface LicenseManagerOptions {
  /** a knex instance (kept open on stop), a knex config or a database URL */
  db: Knex | Knex.Config | string;
  /** the vendor public JWKs this instance trusts */
  publicKeys: PublicJwk[];
  productName: string;
  productVersion?: string;
  /** absolute URL where the License Manager page is mounted, for links in emails */
  baseUrl: string;
  authorize?: (req: Request) => boolean | Promise<boolean>;
  /** who acts in a request, for the key history and the audit log: a name, never an address; default "administrator" */
  actorOf?: (req: Request) => string;
  getGlobalAdmins?: () => Promise<GlobalAdmin[]>;
  mail?: MailOptions;
  /** every notification is also posted to these (SPEC 17.2); `secret` (`whsec_…`) is required for `json` */
  webhooks?: WebhookOption[];
  /**
   * a key from configuration; LICENSE_KEY and LICENSE_KEY_FILE are read too (in that order after
   * it). The file is watched and read again when it changes (SPEC 22); `lm.reload()` reads all again.
   */
  licenseKey?: string;
  /** vendor address for "Request a new license" */
  supportEmail?: string;
  /** node-cron expression for the daily job; default: minute and hour of start-up */
  schedule?: string;
  now?: () => Date;
  /**
   * a monotonic clock in ms (default `performance.now`; when only `now` is given, `now` itself):
   * a jump of `now` that it does not confirm is not believed (CLOCK_SKEW)
   */
  monotonic?: () => number;
  logger?: Logger;
  /**
   * the deadline of every database call in ms (default 5000, SPEC 21): a write that reaches it
   * answers DATABASE_UNAVAILABLE (503) and is rolled back, and never applies later
   */
  dbTimeoutMs?: number;
  /** run the migrations at start (default true) */
  migrate?: boolean;
  /** how often a node re-reads keys and usage written by other nodes (default 10) */
  refreshSeconds?: number;
  /** a signed revocation list from the vendor (SPEC 18.2), installed at start when newer than the one in force */
  revocations?: string;
  /** environment for LICENSE_KEY / LICENSE_KEY_FILE (default process.env) */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_DB_TIMEOUT_MS = 5_000;

/** Misuse fails loudly with a sentence naming the option. */
export function checkOptions(o: LicenseManagerOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('createLicenseManager needs an options object.');
  if (!o.db) throw new TypeError('Option "db" is required: a knex instance, a knex config or a database URL.');
  if (!Array.isArray(o.publicKeys) || o.publicKeys.length === 0) throw new TypeError('Option "publicKeys" must list the vendor public JWKs.');
  if (typeof o.productName !== 'string' || !o.productName) throw new TypeError('Option "productName" is required.');
  if (typeof o.baseUrl !== 'string' || !/^https?:\/\//.test(o.baseUrl))
    throw new TypeError('Option "baseUrl" must be an absolute http(s) URL of the License Manager page.');
  if (o.refreshSeconds !== undefined && !(o.refreshSeconds > 0)) throw new TypeError('Option "refreshSeconds" must be a positive number.');
  if (o.dbTimeoutMs !== undefined && !(Number.isFinite(o.dbTimeoutMs) && o.dbTimeoutMs >= 100))
    throw new TypeError('Option "dbTimeoutMs" must be a number of milliseconds, at least 100.');
  if (o.revocations !== undefined && typeof o.revocations !== 'string')
    throw new TypeError('Option "revocations" must be the text of a revocation list from the vendor.');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('Option "now" must be a function returning a Date.');
  if (o.monotonic !== undefined && typeof o.monotonic !== 'function') throw new TypeError('Option "monotonic" must be a function returning milliseconds.');
  webhookTargets(o.webhooks);
}
