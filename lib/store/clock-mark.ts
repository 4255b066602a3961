import type { Knex } from 'knex';
import { actorName, appendAudit } from '../audit/index.js';
import type { ClockReset } from '../license/clock.js';
import { recordEvent } from './events.js';
import { raiseSetting, readSetting, writeSetting } from './settings.js';

/** The clock mark (SPEC 5.4): the latest confirmed time any node has seen, in ms. */
const MARK = 'clock_high_water';
const RESET = 'clock_reset';

export const readMark = (knex: Knex): Promise<number | undefined> => readSetting<number>(knex, MARK);

/** Raises the mark, never lowers it, even when nodes with skewed clocks race. */
export const raiseMark = (knex: Knex, to: number): Promise<void> => raiseSetting(knex, MARK, to);

export const readClockReset = async (knex: Knex): Promise<ClockReset | null> => (await readSetting<ClockReset>(knex, RESET)) ?? null;

/**
 * `license-manager clock-reset`: sets the mark to `now` (the only write that lowers it), and
 * records who did it, as an event and a chained audit entry, in one transaction.
 */
export async function resetMark(knex: Knex, now: Date, actor: string): Promise<ClockReset> {
  return knex.transaction(async (trx) => {
    const from = (await readSetting<number>(trx, MARK)) ?? null;
    const reset: ClockReset = { at: now.getTime(), actor: actorName(actor), from };
    await trx('license_settings').where({ name: MARK }).delete();
    await trx('license_settings').insert({ name: MARK, value: JSON.stringify(reset.at), num: reset.at });
    await writeSetting(trx, RESET, reset);
    await recordEvent(trx, 'clock_reset', now, { ...reset });
    await appendAudit(trx, {
      at: now,
      actor: reset.actor,
      action: 'clock_reset',
      detail: { from: from === null ? null : new Date(from).toISOString(), to: now.toISOString() },
    });
    return reset;
  });
}
