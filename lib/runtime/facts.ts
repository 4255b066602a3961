import type { Knex } from 'knex';
import type { SnapshotFacts } from '../license/snapshot.js';
import { readBridges } from '../server-id/bridge-store.js';
import { readSetting } from '../store/settings.js';
import { readClockReset } from '../store/clock-mark.js';
import * as loc from '../usage/loc.js';
import { reportedUsers } from '../usage/users.js';
import { createOutbox } from '../notify/outbox.js';
import { createJobStore } from '../jobs/store.js';
import { readKeyChoices } from '../license/key-choices.js';
import { readRevocations, revokedIndex } from '../revocations/store.js';
import { readExtensions } from '../license/extension-store.js';
import { readAuditHead } from '../audit/index.js';

export const DEFAULT_THRESHOLD = 90;

/**
 * What each refresh reads besides the keys. When the database cannot answer, the runtime keeps
 * the last facts it read and evaluates them again against the clock.
 */
export async function readFacts(knex: Knex): Promise<SnapshotFacts> {
  const [
    bridges,
    { used: locUsed, projects },
    threshold,
    clockReset,
    users,
    notificationsPending,
    jobLastSuccessAt,
    keyChoices,
    revocations,
    extensions,
    audit,
  ] = await Promise.all([
    readBridges(knex),
    loc.totals(knex),
    readSetting<number>(knex, 'loc_threshold'),
    readClockReset(knex),
    reportedUsers(knex),
    createOutbox(knex).countPending(),
    createJobStore(knex).lastSuccessAt(),
    readKeyChoices(knex),
    readRevocations(knex),
    readExtensions(knex),
    readAuditHead(knex),
  ]);
  return {
    bridges,
    locUsed,
    projects,
    threshold: threshold ?? DEFAULT_THRESHOLD,
    clockReset,
    users,
    operations: { notificationsPending, jobLastSuccessAt },
    keyChoices,
    revoked: revokedIndex(revocations),
    extensions,
    ...(audit.problem ? { auditProblem: audit.problem } : {}),
  };
}
