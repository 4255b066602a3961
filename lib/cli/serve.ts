import type { Command } from 'commander';
import { startDemoHost } from '../../examples/demo-host/server.js';
import type { CliIo } from './io.js';
import { wholeNumber } from './files.js';
import { redactUrl } from '../redact.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Run the demo host: a small code scanner with the License Manager at /admin/license.')
    .option('--db <url>', 'database URL (default: DATABASE_URL, else an SQLite file in .demo/)')
    .option('--port <n>', 'port (default: PORT, else 3000)', wholeNumber('--port'))
    .option('--data-dir <dir>', 'folder for the demo database, DEMO-ONLY vendor key and mail log', '.demo')
    .action(async (opts: { db?: string; port?: number; dataDir: string }) => {
      const demo = await startDemoHost({
        db: opts.db ?? io.env.DATABASE_URL,
        port: opts.port ?? (io.env.PORT ? Number(io.env.PORT) : 3000),
        dataDir: opts.dataDir,
        smtpUrl: io.env.SMTP_URL,
        webhookUrl: io.env.WEBHOOK_URL,
        webhookSecret: io.env.WEBHOOK_SECRET,
      });
      io.stdout(`License Manager demo ready: ${demo.url}\n(server ID ${demo.lm.serverId}; mail goes to ${io.env.SMTP_URL ? redactUrl(io.env.SMTP_URL) : `${opts.dataDir}/mail.log`})\n`);
      // SPEC 22: SIGHUP reads the license sources again (LICENSE_KEY, LICENSE_KEY_FILE)
      const reload = () => {
        demo.lm.reload().then((s) => io.stdout(`License sources read again: ${s.state}.\n`), (err: unknown) => io.stderr(`License reload failed: ${String((err as Error)?.message ?? err)}\n`));
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
