import type { Knex } from 'knex';

export interface StoredEvent<T = Record<string, unknown>> {
  id: number;
  kind: string;
  at: Date;
  data: T;
}

/** Appends an event (server_id_changed, license_set, threshold_changed, ...). */
export async function recordEvent(knex: Knex | Knex.Transaction, kind: string, at: Date, data: Record<string, unknown>): Promise<void> {
  await knex('license_events').insert({ kind, at: at.getTime(), data: JSON.stringify(data) });
}

export async function listEvents<T = Record<string, unknown>>(knex: Knex, kind: string, limit = 50): Promise<StoredEvent<T>[]> {
  const rows = await knex('license_events').where({ kind }).orderBy('id', 'desc').limit(limit);
  return rows.map((r: { id: number; kind: string; at: number | string; data: string }) => ({
    id: Number(r.id),
    kind: r.kind,
    at: new Date(Number(r.at)),
    data: JSON.parse(r.data) as T,
  }));
}
