import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { knexConfigFromUrl } from 'license-manager/shared';
import { openVendorRegistry } from '../../registry/index.js';
import { smtpMailer } from '../../registry/mailer.js';
import { createVendorPortal } from '../../portal/index.js';
import { readText, wholeNumber } from 'license-manager/shared';
import { UsageError, type CliIo } from 'license-manager/shared';
import { readPrivateKey, withRegistryOption } from './shared.js';

interface Flags {
  registry: string;
  privateKey: string;
  port: number;
  host: string;
  webhook?: string;
  smtp?: string;
  from?: string;
  baseUrl?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretFile?: string;
  oidcRoleClaim: string;
  passwordLogin: boolean;
}

/**
 * A clock for the portal process. Tests of the emergency window start the process with
 * VENDOR_PORTAL_CLOCK_FILE naming a file that holds an ISO date, and move time by rewriting it;
 * without it, the system clock.
 */
function portalClock(io: CliIo): () => Date {
  const file = io.env.VENDOR_PORTAL_CLOCK_FILE;
  if (!file) return io.now;
  const path = resolve(io.cwd, file);
  return () => {
    const d = new Date(readFileSync(path, 'utf8').trim());
    if (Number.isNaN(d.getTime())) throw new Error(`VENDOR_PORTAL_CLOCK_FILE ${path} does not hold a date.`);
    return d;
  };
}

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/** `vendor serve`: the vendor portal (SPEC 19) on the registry, issuing with the given key. */
export function registerVendorServe(vendor: Command, io: CliIo): void {
  withRegistryOption(
    vendor
      .command('serve')
      .description('Run the vendor portal: customers, subscriptions, Generate license, emergency licenses, for signed-in users.')
      .requiredOption('--private-key <file>', 'vendor private JWK file the portal signs with')
      .option('--port <n>', 'port (0 for any free one)', wholeNumber('--port'), 4000)
      .option('--host <addr>', 'address to listen on', '127.0.0.1')
      .option('--webhook <url>', 'Slack-format incoming webhook: one post per issued and emergency license')
      .option('--smtp <url>', 'SMTP server for keys mailed to customers, smtp://user:pass@host:port (default: SMTP_URL)')
      .option('--from <addr>', 'sender address (default: SMTP_FROM)')
      .option('--base-url <url>', 'the portal address people use (links in webhook posts, the single sign-on callback)')
      .option('--oidc-issuer <url>', "OpenID Connect single sign-on: the identity provider's issuer URL")
      .option('--oidc-client-id <id>', "the portal's client ID at the identity provider")
      .option('--oidc-client-secret-file <file>', 'file whose first line is the client secret')
      .option('--oidc-role-claim <claim>', "the claim that lists a person's groups (mapped to roles with vendor sso map)", 'groups')
      .option('--no-password-login', 'turn password sign-in off: single sign-on only'),
  )
    .addHelpText('after', '\nCreate the first user with: license-manager vendor user add --name NAME --role admin --password-file FILE\n')
    .action(async (opts: Flags) => {
      const privateJwk = await readPrivateKey(io, opts.privateKey);
      if (opts.webhook !== undefined && !/^https?:\/\//.test(opts.webhook)) throw new UsageError('--webhook must be an http:// or https:// URL.');
      const oidcSet = [opts.oidcIssuer, opts.oidcClientId, opts.oidcClientSecretFile].filter((v) => v !== undefined).length;
      if (oidcSet !== 0 && oidcSet !== 3) throw new UsageError('Single sign-on needs all of --oidc-issuer, --oidc-client-id and --oidc-client-secret-file.');
      if (!opts.passwordLogin && oidcSet === 0)
        throw new UsageError('--no-password-login needs single sign-on (--oidc-issuer …): otherwise nobody could sign in.');
      if (opts.oidcIssuer !== undefined && !/^https?:\/\//.test(opts.oidcIssuer)) throw new UsageError('--oidc-issuer must be an http:// or https:// URL.');
      const oidc =
        oidcSet === 3
          ? {
              issuer: opts.oidcIssuer!,
              clientId: opts.oidcClientId!,
              roleClaim: opts.oidcRoleClaim,
              clientSecret: (await readText(io.cwd, opts.oidcClientSecretFile!, 'client secret')).split(/\r?\n/)[0]!,
            }
          : undefined;
      const now = portalClock(io);
      const smtp = opts.smtp ?? io.env.SMTP_URL;
      const mail = smtp ? smtpMailer(smtp, { from: opts.from ?? io.env.SMTP_FROM }) : undefined;
      const registry = await openVendorRegistry({ db: knexConfigFromUrl(opts.registry, io.cwd), now, mailer: mail });
      const portal = await createVendorPortal({
        registry,
        privateJwk,
        now,
        mail,
        webhookUrl: opts.webhook,
        baseUrl: opts.baseUrl,
        oidc,
        passwordLogin: opts.passwordLogin,
      });
      const server = createServer(portal);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(opts.port, opts.host, () => done());
      }).catch(async (err: NodeJS.ErrnoException) => {
        await portal.close();
        await registry.close();
        throw new UsageError(`The portal cannot listen on ${opts.host}:${opts.port} (${err.code ?? 'error'}).`);
      });
      const { port } = server.address() as AddressInfo;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      io.stdout(
        `Vendor portal ready: http://${host}:${port}/\n(registry ${redact(opts.registry)}; mail ${smtp ? redact(smtp) : 'not configured'}; webhook ${opts.webhook ? 'on' : 'off'}; single sign-on ${oidc ? oidc.issuer : 'off'}${opts.passwordLogin ? '' : ', no password sign-in'})\n`,
      );
      await new Promise<void>((done) => {
        const shutdown = () => {
          io.stdout('Stopping…\n');
          server.close(() => undefined);
          server.closeAllConnections();
          portal
            .close()
            .then(() => registry.close())
            .then(done, done);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
}
