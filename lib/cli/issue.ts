import type { Command } from 'commander';
import { signLicenseKey } from '../keys/sign.js';
import { buildPayload } from '../issuer/payload.js';
import type { LicenseType } from '../keys/claims.js';
import type { PrivateJwk } from '../keys/jwk.js';
import { UsageError, type CliIo } from './io.js';
import { list, readJwk, repeatable, wholeNumber } from './files.js';

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
    .action(async (opts: IssueFlags) => {
      if (!['production', 'staging', 'trial'].includes(opts.type)) {
        throw new UsageError('--type must be production, staging or trial.');
      }
      const jwk = await readJwk(io.cwd, opts.privateKey, 'private key');
      if (typeof jwk.d !== 'string') throw new UsageError(`${opts.privateKey} is a public key; --private-key needs the private one.`);
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
        now: io.now(),
      });
      io.stdout((await signLicenseKey(payload, jwk as unknown as PrivateJwk)) + '\n');
    });
}
