import type { Migration } from 'license-manager/shared';
import * as m001 from './001_registry.js';
import * as m002 from './002_offline_trade.js';
import * as m003 from './003_portal.js';
import * as m004 from './004_moves.js';
import * as m005 from './005_api_sso.js';

/** Vendor registry migrations, in order. Tables are prefixed `vendor_`; the migrations table is `vendor_migrations`. */
export const vendorMigrations: Record<string, Migration> = {
  '001_registry': m001,
  '002_offline_trade': m002,
  '003_portal': m003,
  '004_moves': m004,
  '005_api_sso': m005,
};

export const VENDOR_MIGRATIONS_TABLE = 'vendor_migrations';
