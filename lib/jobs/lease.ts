/**
 * The job's lease: one row (created by the migration) with a holder and an expiry. Taking it is a
 * compare-and-set UPDATE that must touch exactly one row, so on SQLite, PostgreSQL and MariaDB
 * alike one node of a cluster runs the job while the others skip. The expiry frees the lease of a
 * node that died mid-run.
 */
import type { Knex } from 'knex';

const T = 'license_job_lease';

export interface Lease {
  readonly holder: string;
  acquire(now: Date): Promise<boolean>;
  /** pushes the expiry on during a long run; false when the lease was lost */
  renew(now: Date): Promise<boolean>;
  release(): Promise<void>;
}

export function createLease(knex: Knex, options: { name: string; holder: string; ttlMs: number }): Lease {
  const { name, holder, ttlMs } = options;
  return {
    holder,
    async acquire(now) {
      const count = await knex(T)
        .where({ name })
        .andWhere((w) => w.whereNull('holder').orWhere('expires_at', '<=', now.getTime()))
        .update({ holder, expires_at: now.getTime() + ttlMs });
      return Number(count) === 1;
    },
    async renew(now) {
      const count = await knex(T)
        .where({ name, holder })
        .update({ expires_at: now.getTime() + ttlMs });
      return Number(count) === 1;
    },
    async release() {
      await knex(T).where({ name, holder }).update({ holder: null, expires_at: 0 });
    },
  };
}
