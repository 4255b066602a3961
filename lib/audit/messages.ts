import { LicenseError } from '../errors.js';

/** The audit log's sentences (SPEC 17.3, 21), one place for the page, the CLI and the API. */
export const auditMessages = {
  headRowMissing: 'the chain head (the row of table license_audit_head) is missing',
  headRowMissingSentence:
    'The audit log was altered: its chain head (the row of table license_audit_head) is missing, so no audited change can be recorded. ' +
    'Run license-manager audit verify --head COUNT:HASH with the head of your last usage report to see what was removed.',
  headMismatchSentence: (head: number, log: number) =>
    `The audit log was altered: its chain head names entry ${head}, but the log ends at entry ${log} with another hash. ` +
    'Run license-manager audit verify --head COUNT:HASH with the head of your last usage report to see what was changed.',
  anchorPastEnd: (anchor: number, entries: number) =>
    `the chain has ${entries} ${entries === 1 ? 'entry' : 'entries'}, but the head recorded elsewhere names entry ${anchor}: entries were removed from its end`,
  anchorRewritten: (anchor: number) => `entry ${anchor} is not the one the head recorded elsewhere names: the chain was rewritten up to there`,
};

/** A write that must be audited, refused because the chain head is gone: nothing was changed. */
export const headMissing = (): LicenseError =>
  new LicenseError('AUDIT_CHAIN_BROKEN', { detail: `${auditMessages.headRowMissingSentence} Nothing was changed.` });
