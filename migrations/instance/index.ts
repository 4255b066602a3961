import type { Migration } from '../../lib/store/migrate.js';
import * as m001 from './001_core.js';

/** Instance migrations, in order. Tables are prefixed `license_`. */
export const instanceMigrations: Record<string, Migration> = {
  '001_core': m001,
};
