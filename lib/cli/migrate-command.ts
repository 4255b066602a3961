import type { Knex } from 'knex';
import { redactUrl } from '../redact.js';
import { migrateLatest, migrationState, schemaNewerError, type MigrationSet } from '../store/migrate.js';
import { moduleVersion } from '../version.js';
import type { CliIo } from './io.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Lists (`dryRun`) or runs the pending migrations of one set, for hosts that start their nodes
 * with `migrate: false` and migrate before they roll (SPEC 24). A database that a newer version
 * migrated is SCHEMA_NEWER (exit 1) and is left as it is: nothing is ever migrated down.
 * Shared by `license-manager migrate` and the vendor registry's `vendor migrate`.
 */
export async function migrateCommand(o: {
  knex: Knex;
  set: MigrationSet;
  url: string;
  dryRun: boolean;
  io: CliIo;
  /** the package whose migrations these are, and its version (default: license-manager, this version) */
  product?: string;
  version?: string;
  what?: string;
}): Promise<void> {
  const version = o.version ?? moduleVersion;
  const product = o.product ?? 'license-manager';
  const what = o.what ?? 'database';
  const state = await migrationState(o.knex, o.set);
  const by = state.migratedBy ? `last migrated by ${state.migratedBy}` : state.applied.length > 0 ? 'migrated by 0.1.0 or earlier' : 'empty';
  o.io.stdout(`The ${what} at ${redactUrl(o.url)} (${by}); this is ${product} ${version}.\n`);
  if (state.unknown.length > 0) throw schemaNewerError({ moduleVersion: version, state, what, product });
  if (state.pending.length === 0) {
    o.io.stdout(`It is up to date: ${plural(state.applied.length, 'migration')} applied, none pending.\n`);
    return;
  }
  const list = state.pending.map((n) => `  ${n}\n`).join('');
  if (o.dryRun) {
    o.io.stdout(
      `${plural(state.pending.length, 'migration')} pending:\n${list}Dry run: nothing was changed; run again without --dry-run to apply ${state.pending.length === 1 ? 'it' : 'them'}.\n`,
    );
    return;
  }
  const outcome = await migrateLatest(o.knex, { ...o.set, moduleVersion: version, now: o.io.now });
  if (outcome.unknown.length > 0) throw schemaNewerError({ moduleVersion: version, state: outcome, what, product });
  const ran = outcome.ran.length > 0 ? outcome.ran.map((n) => `  ${n}\n`).join('') : '';
  o.io.stdout(
    outcome.ran.length > 0 ? `Applied ${plural(outcome.ran.length, 'migration')}:\n${ran}` : 'Another node applied them meanwhile: nothing was left to do.\n',
  );
}
