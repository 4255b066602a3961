import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { UsageError, type CliIo } from './io.js';
import { wholeNumber } from './files.js';
import { redactUrl } from '../redact.js';
import { packageRoot } from '../package-root.js';
import type { LicenseManager } from '../manager.js';

/** What the repository's demo host module offers (examples/demo-host/server.ts). */
interface DemoModule {
  startDemoHost(options: {
    db?: string;
    port: number;
    dataDir: string;
    smtpUrl?: string;
    webhookUrl?: string;
    webhookSecret?: string;
  }): Promise<{ url: string; lm: LicenseManager; stop(): Promise<void> }>;
}

/**
 * The demo host is the repository's, in no published package: `serve` finds it beside the sources of a
 * clone and says so where it is absent (an installed package).
 */
async function loadDemo(): Promise<DemoModule> {
  const entry = join(packageRoot(), 'examples', 'demo-host', 'server.ts');
  if (!existsSync(entry)) {
    throw new UsageError(
      'The demo host is part of the License Manager repository, not of the installed package: clone the repository and run "npm install && npm start" there.',
    );
  }
  // NOTE: the demo is TypeScript; a CLI running from dist/ registers tsx (a dev dependency of the clone) first.
  if (!import.meta.url.endsWith('.ts')) {
    const tsxApi: string = 'tsx/esm/api';
    const { register } = (await import(tsxApi)) as { register: () => void };
    register();
  }
  return (await import(pathToFileURL(entry).href)) as DemoModule;
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Run the demo host from a clone of the repository: a small code scanner with the License Manager at /admin/license.')
    .option('--db <url>', 'database URL (default: DATABASE_URL, else an SQLite file in .demo/)')
    .option('--port <n>', 'port (default: PORT, else 3000)', wholeNumber('--port'))
    .option('--data-dir <dir>', 'folder for the demo database, DEMO-ONLY vendor key and mail log', '.demo')
    .action(async (opts: { db?: string; port?: number; dataDir: string }) => {
      const { startDemoHost } = await loadDemo();
      const demo = await startDemoHost({
        db: opts.db ?? io.env.DATABASE_URL,
        port: opts.port ?? (io.env.PORT ? Number(io.env.PORT) : 3000),
        dataDir: opts.dataDir,
        smtpUrl: io.env.SMTP_URL,
        webhookUrl: io.env.WEBHOOK_URL,
        webhookSecret: io.env.WEBHOOK_SECRET,
      });
      io.stdout(
        `License Manager demo ready: ${demo.url}\n(server ID ${demo.lm.serverId}; mail goes to ${io.env.SMTP_URL ? redactUrl(io.env.SMTP_URL) : `${opts.dataDir}/mail.log`})\n`,
      );
      // SPEC 22: SIGHUP reads the license sources again (LICENSE_KEY, LICENSE_KEY_FILE)
      const reload = () => {
        demo.lm.reload().then(
          (s) => io.stdout(`License sources read again: ${s.state}.\n`),
          (err: unknown) => io.stderr(`License reload failed: ${String((err as Error)?.message ?? err)}\n`),
        );
      };
      process.on('SIGHUP', reload);
      await new Promise<void>((done) => {
        const shutdown = () => {
          io.stdout('Stopping…\n');
          process.off('SIGHUP', reload);
          demo.stop().then(done, done);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
}
