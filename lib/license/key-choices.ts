/**
 * The administrator's choices among stored keys (SPEC 16): a key made current by hand, and keys
 * retired (kept in history, never chosen again until made current). Kept as settings rows, so
 * every node reads them at its next refresh; the keys themselves never change.
 *
 * Choosing a key ranks it above every key set before the choice; a key set afterwards is newer
 * than the choice and wins as usual (SPEC 5.2), so "Make current" is never sticky by surprise.
 */
import type { Knex } from 'knex';
import { readSetting, readSettings, writeSetting } from '../store/settings.js';

export interface KeyChoices {
  /** lids of retired keys */
  retired: ReadonlySet<string>;
  /** the key made current by hand, and the newest stored key id at that moment */
  chosen: { lid: string; afterId: number } | null;
}

export const NO_CHOICES: KeyChoices = { retired: new Set(), chosen: null };

const RETIRED = 'key_retired:';
const CHOSEN = 'key_chosen';

interface RetiredMark {
  at: number;
  by: string;
}

export async function readKeyChoices(knex: Knex): Promise<KeyChoices> {
  const [marks, chosen] = await Promise.all([readSettings(knex, RETIRED), readSetting<KeyChoices['chosen']>(knex, CHOSEN)]);
  const retired = new Set<string>();
  for (const [name, mark] of marks) if (mark) retired.add(name.slice(RETIRED.length));
  return { retired, chosen: chosen ?? null };
}

/** Retires a key: it stays in history and is never chosen, until made current again. */
export async function retireKey(trx: Knex.Transaction, lid: string, by: string, at: Date): Promise<void> {
  const mark: RetiredMark = { at: at.getTime(), by };
  await writeSetting(trx, `${RETIRED}${lid}`, mark);
}

/** Makes a key current: un-retires it and ranks it above every key stored so far. */
export async function chooseKey(trx: Knex.Transaction, lid: string, newestId: number): Promise<void> {
  await writeSetting(trx, `${RETIRED}${lid}`, null);
  await writeSetting(trx, CHOSEN, { lid, afterId: newestId });
}

/** A key set again is no longer retired. */
export async function unretire(knex: Knex | Knex.Transaction, lid: string): Promise<void> {
  await writeSetting(knex, `${RETIRED}${lid}`, null);
}
