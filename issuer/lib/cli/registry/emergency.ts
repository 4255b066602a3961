import type { Command } from 'commander';
import type { CliIo } from 'license-manager/shared';
import { wholeNumber } from 'license-manager/shared';
import { smtpMailer } from '../../registry/mailer.js';
import { describeRestore } from '../../registry/issue-emergency.js';
import { readPrivateKey, withRegistry, withRegistryOption } from './shared.js';

interface Flags {
  privateKey: string;
  account: string;
  users: number;
  email: string;
  issuedBy: string;
  ticket: string;
  smtp?: string;
  from?: string;
  registry: string;
}

/**
 * `vendor emergency`: the 10-day emergency license of SPEC 11. It prints the key even when the
 * mail fails (exit 0: the key exists and is recorded), and says on stderr what the mail did.
 */
export function registerEmergency(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('emergency')
      .description('Issue a 10-day emergency license (any server, generic licensee), print it and email it to the requester.')
      .requiredOption('--private-key <file>', 'vendor private JWK file (from keygen)')
      .requiredOption('--account <name>', 'customer account (Company_Name-UniqueAccountID)')
      .requiredOption('--users <n>', 'user limit of the emergency license', wholeNumber('--users'))
      .requiredOption('--email <addr>', 'where the key is emailed')
      .requiredOption('--issued-by <who>', 'who on the support rota issues it')
      .requiredOption('--ticket <ref>', 'the support ticket it answers')
      .option('--smtp <url>', 'SMTP server, smtp://user:pass@host:port (default: SMTP_URL)')
      .option('--from <addr>', 'sender address (default: SMTP_FROM, else no-reply@localhost)'),
  )
    .addHelpText(
      'after',
      '\nThe license lasts exactly 10 days (grace 0) and cannot be changed. It is allowed only for an account with a\n' +
        "paid plan whose last license's grace period ended within the last 3 days; a refusal says which rule failed.\n" +
        "It restores the edition, features and lines-of-code limit of the account's last production license of a paid\n" +
        'subscription, and prints them before issuing.\n',
    )
    .action(async (opts: Flags) => {
      const privateJwk = await readPrivateKey(io, opts.privateKey);
      const smtp = opts.smtp ?? io.env.SMTP_URL;
      const mailer = smtp ? smtpMailer(smtp, { from: opts.from ?? io.env.SMTP_FROM }) : undefined;
      const { license, emailed } = await withRegistry(
        io,
        opts.registry,
        async (r) => {
          // what the key will turn on, said before it is issued (a refusal says why there is nothing to restore)
          const preview = await r.emergencyPreview({ account: opts.account, users: opts.users });
          io.stderr(`This emergency license turns on: ${describeRestore(preview)}.\n`);
          return r.emergency({ privateJwk, account: opts.account, users: opts.users, email: opts.email, issuedBy: opts.issuedBy, ticket: opts.ticket });
        },
        mailer,
      );
      io.stdout(`${license.key}\n`);
      io.stderr(emailed ? `${license.emailOutcome}\n` : `warning: the mail failed, send the key above by hand. ${license.emailOutcome}\n`);
    });
}
