import type { Knex } from 'knex';

/** Small named values: threshold, clock high-water mark, server-ID bridges. JSON-encoded. */
export async function readSetting<T>(knex: Knex | Knex.Transaction, name: string): Promise<T | undefined> {
  const row = await knex('license_settings').where({ name }).first('value');
  return row ? (JSON.parse(row.value as string) as T) : undefined;
}

export async function readSettings(knex: Knex, prefix: string): Promise<Map<string, unknown>> {
  const rows = await knex('license_settings').where('name', 'like', `${prefix}%`).select('name', 'value');
  return new Map(rows.map((r: { name: string; value: string }) => [r.name, JSON.parse(r.value)]));
}

export async function writeSetting(knex: Knex | Knex.Transaction, name: string, value: unknown): Promise<void> {
  await knex('license_settings')
    .insert({ name, value: JSON.stringify(value) })
    .onConflict('name')
    .merge();
}

/** Raises a numeric setting, never lowers it, even when nodes with skewed clocks race. */
export async function raiseSetting(knex: Knex, name: string, value: number): Promise<void> {
  await knex('license_settings')
    .insert({ name, value: JSON.stringify(value), num: value })
    .onConflict('name')
    .ignore();
  await knex('license_settings')
    .where({ name })
    .andWhere('num', '<', value)
    .update({ value: JSON.stringify(value), num: value });
}
