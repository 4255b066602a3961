/** What the three dialects share: reading driver errors, and the fence's refusal. */

export const FENCE_MESSAGE = 'license-manager: the transaction passed its deadline and is rolled back';
export const refusedByFence = (err: unknown): boolean => String((err as { message?: unknown })?.message ?? '').includes(FENCE_MESSAGE);

export const code = (err: unknown): unknown => (err as { code?: unknown })?.code;

export const message = (err: unknown): string => String((err as { message?: unknown })?.message ?? '');

/** Socket and pool errors, the same whatever the driver: the connection is gone or never came. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'DB_DEADLINE',
]);

/**
 * The one place that decides whether an error means "the database is unavailable" (SPEC 15.2):
 * the network codes, knex's pool timeout, then the driver's own `specific` test, along the
 * `cause` chain (knex and the drivers wrap errors).
 */
export function unavailable(specific: (err: unknown) => boolean): (err: unknown) => boolean {
  return (err) => {
    for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
      const c = code(e);
      if (typeof c === 'string' && NETWORK_CODES.has(c)) return true;
      if ((e as { name?: unknown }).name === 'KnexTimeoutError') return true;
      if (specific(e)) return true;
    }
    return false;
  };
}
