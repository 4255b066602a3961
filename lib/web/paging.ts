/** Page sizes of the page's lists; the API takes `?limit=` instead. */
export const PAGE_SIZES = { projects: 50, keys: 10, notifications: 10 } as const;

/**
 * One page of a list already in memory (the key ring), after the row with id `after`, with the
 * id to continue after; null on the last page. A cursor naming no row starts at the top.
 */
export function pageOf<T extends { id: number }>(items: readonly T[], limit: number, after: number | null): { items: T[]; next: number | null } {
  const from = after === null ? 0 : items.findIndex((x) => x.id === after) + 1;
  const shown = items.slice(from, from + limit);
  const more = from + limit < items.length;
  return { items: shown, next: more && shown.length > 0 ? shown[shown.length - 1]!.id : null };
}

/**
 * A page of rows ordered by id, newest first, read with one row more than shown: the extra row
 * only says whether there is a next page.
 */
export function trimPage<T extends { id: number }>(rows: readonly T[], limit: number): { items: T[]; next: number | null } {
  const shown = rows.slice(0, limit);
  return { items: shown, next: rows.length > limit && shown.length > 0 ? shown[shown.length - 1]!.id : null };
}
