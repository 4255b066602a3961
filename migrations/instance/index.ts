import type { Migration } from '../../lib/store/migrate.js';
import * as m001 from './001_core.js';
import * as m002 from './002_jobs.js';
import * as m003 from './003_key_ring.js';
import * as m004 from './004_shared_secrets_paging.js';
import * as m007 from './007_audit.js';
import * as m007w from './007_webhooks.js';
import * as m008 from './008_offline_trade.js';
import * as m009x from './009_extensions.js';
import * as m010m from './010_message_id.js';
import * as m011r from './011_revoked_keys.js';

/** Instance migrations, in order. Tables are prefixed `license_`. */
export const instanceMigrations: Record<string, Migration> = {
  '001_core': m001,
  '002_jobs': m002,
  '003_key_ring': m003,
  '004_shared_secrets_paging': m004,
  '007_audit': m007,
  '007_webhooks': m007w,
  '008_offline_trade': m008,
  '009_extensions': m009x,
  '010_message_id': m010m,
  '011_revoked_keys': m011r,
};
