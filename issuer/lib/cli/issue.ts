import type { Command } from 'commander';
import { signLicenseKey } from 'license-manager/formats';
import { buildPayload, endOfDayUtc } from 'license-manager/formats';
import { MAX_LIMIT, SERVER_ID_PATTERN, type LicenseType } from 'license-manager/formats';
import { LicenseError } from 'license-manager/formats';
import type { PrivateJwk } from 'license-manager/formats';
import { UsageError, type CliIo } from 'license-manager/shared';
import { list, readJwk, repeatable, wholeNumber } from 'license-manager/shared';

interface IssueFlags {
  privateKey: string;
  serverId: string;
  licensee: string;
  type: string;
  expires: string;
  edition: string;
  features?: string[];
  loc?: number;
  users?: number;
  tag?: string[];
  subscription?: string;
  email?: string;
  grace?: number;
  extensionDays?: number;
  extensionUses?: number;
}

const ISSUE_HELP = `
Required: --private-key, --server-id, --licensee, --type and --expires.

--private-key takes the private JWK written by keygen, or a file holding both halves
({ "privateJwk": …, "publicJwk": … }, like the demo's demo-vendor-key.DEMO-ONLY.json).
--expires is the last day the key is valid (UTC); it must not be in the past.

Example:
  license-manager issue --private-key vendor-keys/private.jwk.json \\
    --server-id 1A2B3C4D-ABCDEFGHIJKLMNOPQRST --licensee "Acme Corp" \\
    --type production --expires 2027-12-31 --features sso,audit-log --loc 500000 --users 250
`;

/** What an option must be, by the claim it fills: a refused claim is reported as its option. */
const OPTION_OF_CLAIM: Record<string, [option: string, rule: string]> = {
  licensee: ['--licensee', 'must name the company'],
  email: ['--email', 'must be an email address'],
  serverId: ['--server-id', 'must be a server ID such as 1A2B3C4D-ABCDEFGHIJKLMNOPQRST'],
  edition: ['--edition', 'must not be empty'],
  features: ['--features', 'must be a comma-separated list of names'],
  tags: ['--tag', 'must not be empty'],
  'limits.loc': ['--loc', `must be a whole number from 0 to ${MAX_LIMIT}`],
  'limits.users': ['--users', `must be a whole number from 0 to ${MAX_LIMIT}`],
  grace: ['--grace', 'must be a whole number of days from 0 to 3650'],
  exp: ['--expires', 'must be a day from 2000-01-01 to 9999-12-30'],
  nbf: ['--expires', 'must not be in the past'],
  sub: ['--subscription', 'must not be empty'],
  'ext.days': ['--extension-days', 'must be a whole number of days from 1 to 30'],
  'ext.uses': ['--extension-uses', 'must be a whole number from 1 to 3'],
};

/**
 * SPEC 22: `--extension-days N [--extension-uses K]` (K defaults to 1), or neither. The ranges
 * are the claim's and are reported as options by signAsOptions.
 */
export function extensionOf(opts: { extensionDays?: number; extensionUses?: number }): { days: number; uses: number } | undefined {
  if (opts.extensionDays === undefined) {
    if (opts.extensionUses !== undefined) throw new UsageError('--extension-uses needs --extension-days: how many days each self-service extension gives.');
    return undefined;
  }
  return { days: opts.extensionDays, uses: opts.extensionUses ?? 1 };
}

/** Signs, turning a refused claim into a usage error that names the option. */
async function signAsOptions(payload: Parameters<typeof signLicenseKey>[0], jwk: PrivateJwk): Promise<string> {
  try {
    return await signLicenseKey(payload, jwk);
  } catch (err) {
    const claim = err instanceof LicenseError && err.code === 'KEY_CLAIMS_INVALID' ? String(err.data.claim ?? '') : '';
    const known = OPTION_OF_CLAIM[claim];
    if (known) throw new UsageError(`${known[0]} ${known[1]}.`);
    throw err;
  }
}

/**
 * The options checked as options: a mistake here is a usage error (exit 2) whose sentence names
 * the option, never a claim of the key being built ("claim nbf must not be later than exp").
 */
export function checkIssueFlags(opts: Pick<IssueFlags, 'type' | 'serverId' | 'expires' | 'licensee'>, now: Date): void {
  if (!['production', 'staging', 'trial'].includes(opts.type)) {
    throw new UsageError(`--type must be production, staging or trial, not "${opts.type}".`);
  }
  if (opts.serverId === '*' ? opts.type !== 'trial' : !SERVER_ID_PATTERN.test(opts.serverId)) {
    throw new UsageError(
      opts.serverId === '*'
        ? '--server-id "*" is for trial keys only (--type trial); give the server ID of the instance.'
        : `--server-id "${opts.serverId}" is not a server ID: it reads like 1A2B3C4D-ABCDEFGHIJKLMNOPQRST (8 hex digits, a dash, 20 base32 characters), as the License Manager page shows it.`,
    );
  }
  if (opts.licensee.trim() === '') throw new UsageError('--licensee must name the company.');
  let exp: number;
  try {
    exp = endOfDayUtc(opts.expires);
  } catch {
    throw new UsageError(`--expires "${opts.expires}" is not a date of the form YYYY-MM-DD.`);
  }
  if (exp <= Math.floor(now.getTime() / 1000)) {
    throw new UsageError(`--expires ${opts.expires} is in the past: give the last day the key is valid, today (${now.toISOString().slice(0, 10)}) or later.`);
  }
}

/** The private JWK of a key file: a JWK itself, or a file holding both halves (the demo's). */
export function privateHalf(file: Record<string, unknown>, path: string): Record<string, unknown> {
  const inner = file.privateJwk;
  const jwk = inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : file;
  if (typeof jwk.d !== 'string') throw new UsageError(`${path} holds a public key only; --private-key needs the private one (from keygen).`);
  return jwk;
}

export function registerIssue(program: Command, io: CliIo): void {
  program
    .command('issue')
    .description('Sign a license key and print it.')
    .requiredOption('--private-key <file>', 'vendor private JWK file (from keygen)')
    .requiredOption('--server-id <id>', 'server ID the key is bound to ("*" for a trial)')
    .requiredOption('--licensee <name>', 'company name')
    .requiredOption('--type <type>', 'production, staging or trial')
    .requiredOption('--expires <YYYY-MM-DD>', 'last day the key is valid (exp is the next midnight UTC)')
    .option('--edition <edition>', 'edition', 'enterprise')
    .option('--features <a,b>', 'commercial features, comma-separated', list)
    .option('--loc <n>', 'lines-of-code limit', wholeNumber('--loc'))
    .option('--users <n>', 'user limit', wholeNumber('--users'))
    .option('--tag <tag>', 'a tag such as true-up (repeatable)', repeatable)
    .option('--subscription <id>', 'subscription ID (default: a new UUID)')
    .option('--email <addr>', 'licensee contact')
    .option('--grace <days>', 'grace days after expiry (default 14)', wholeNumber('--grace'))
    .option('--extension-days <n>', 'self-service extension: days each use gives, 1–30 (SPEC 22)', wholeNumber('--extension-days'))
    .option('--extension-uses <k>', 'self-service extension: how many uses, 1–3 (default 1)', wholeNumber('--extension-uses'))
    .addHelpText('after', ISSUE_HELP)
    .action(async (opts: IssueFlags) => {
      checkIssueFlags(opts, io.now());
      const jwk = privateHalf(await readJwk(io.cwd, opts.privateKey, 'private key'), opts.privateKey);
      const payload = buildPayload({
        serverId: opts.serverId,
        licensee: opts.licensee,
        type: opts.type as LicenseType,
        expires: opts.expires,
        edition: opts.edition,
        features: opts.features,
        loc: opts.loc,
        users: opts.users,
        tags: opts.tag,
        sub: opts.subscription,
        email: opts.email,
        grace: opts.grace,
        extension: extensionOf(opts),
        now: io.now(),
      });
      io.stdout(`${await signAsOptions(payload, jwk as unknown as PrivateJwk)}\n`);
    });
}
