import type { Knex } from 'knex';
import type { TrustedKeys } from '../keys/jwk.js';
import type { RingKey } from '../license/key-ring.js';
import { loadStoredKeys } from '../license/key-store.js';

/**
 * The key ring in memory: keys from configuration, then every stored key. Stored keys never
 * change (choices are settings, lib/license/key-choices.ts), so each row is read and verified
 * once per process; a refresh reads new rows only.
 */
export class LoadedRing {
  private readonly stored = new Map<number, RingKey>();

  /** `config` gives the configuration keys in force now: they change when the file or a reload does */
  constructor(
    private readonly trusted: TrustedKeys,
    private readonly configKeys: () => readonly RingKey[],
  ) {}

  get config(): readonly RingKey[] {
    return this.configKeys();
  }

  async loadNew(knex: Knex): Promise<void> {
    const lastId = Math.max(0, ...this.stored.keys());
    for (const key of await loadStoredKeys(knex, this.trusted, lastId, new Set(this.stored.keys()))) this.stored.set(key.id, key);
  }

  /** configuration keys first, then stored keys in the order they were set */
  all(): RingKey[] {
    return [...this.config, ...this.stored.values()];
  }

  /** configuration keys first, then stored keys newest first: the page's order */
  newestFirst(): RingKey[] {
    return [...this.config, ...[...this.stored.values()].sort((a, b) => b.id - a.id)];
  }
}
