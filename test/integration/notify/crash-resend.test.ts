/**
 * SPEC 21, mail after a crash: a node killed (kill -9) after its SMTP server took a reminder and
 * before it could mark it sent leaves the notification claimed; the node that takes over sends it
 * again, and the second copy carries the same Message-ID, so mail clients show it once.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { withDbs } from '../../helpers/dbs.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { Managers, testClock } from '../../helpers/managers.js';

const NODE = fileURLToPath(new URL('../../helpers/cluster-node.ts', import.meta.url));
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** An SMTP server that can hold its answer to a message it has fully received. */
async function holdingSmtp() {
  const received: { messageId: string | undefined; to: string[] }[] = [];
  let hold = true;
  let release: (() => void) | undefined;
  let onHeld: (() => void) | undefined;
  const held = new Promise<void>((resolve) => {
    onHeld = resolve;
  });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({ messageId: parsed.messageId, to: session.envelope.rcptTo.map((r) => r.address) });
          if (!hold) return callback();
          // the message is here; the answer (250) waits until the test has killed the sender
          release = () => callback();
          onHeld!();
        },
        (err: Error) => callback(err),
      );
    },
  });
  server.on('error', () => undefined); // the killed client's reset is not the test's concern
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    held,
    /** answers the held message, and every later one at once */
    answer() {
      hold = false;
      release?.();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

withDbs(
  'mail after a crash (SPEC 21)',
  (dbs) => {
    let vendor: TestVendor;
    const managers = new Managers();
    before(async () => {
      vendor = await testVendor();
    });
    afterEach(() => managers.stopAll());

    it('kill -9 between the SMTP answer and marking the reminder sent: the node taking over sends it with the same Message-ID', async function () {
      this.timeout(90_000);
      const db = await dbs.fresh('crash');
      const smtp = await holdingSmtp();
      try {
        // a license that ends in 40 days: the two-month reminder is due
        const now = Date.now();
        const setup = await managers.start(db, vendor, testClock(new Date(now).toISOString()));
        await setup.setLicense(await vendor.issue({ serverId: setup.serverId, exp: Math.floor((now + 40 * DAY_MS) / 1000) }));
        await setup.runJob();
        expect(await setup.knex('license_notifications').where({ kind: 'expiry-2m' }).pluck('status')).to.deep.equal(['pending']);
        await setup.stop();

        // a real node process sends it; the SMTP server has the whole message and holds its answer
        const child = spawn(process.execPath, ['--import', 'tsx', NODE], {
          env: {
            ...process.env,
            LM_DB_URL: db.url,
            LM_PUBLIC_KEY: JSON.stringify(vendor.pair.publicJwk),
            LM_SMTP_URL: smtp.url,
            LM_ADMINS: 'ada@example.com',
            LM_REFRESH_SECONDS: '3600',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout!.on('data', (c: Buffer) => {
          output += c.toString();
        });
        child.stderr!.on('data', (c: Buffer) => {
          output += c.toString();
        });
        const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
        await Promise.race([
          smtp.held,
          exited.then(() => {
            throw new Error(`the node exited before sending:\n${output}`);
          }),
        ]);
        child.kill('SIGKILL');
        expect(await exited).to.equal('SIGKILL');
        // the server now answers: the first copy is delivered, and its sender never knew
        smtp.answer();
        expect(smtp.received).to.have.length(1);

        // the node that takes over (its clock past the dead node's lease and claim) sends it again
        const later = testClock(new Date(now + 31 * MINUTE_MS).toISOString());
        const next = await managers.start(db, vendor, later, {
          mail: { transport: smtp.url, from: 'License Manager <lm@host.example>' },
          getGlobalAdmins: async () => [{ name: 'Ada', email: 'ada@example.com' }],
        });
        const row = (await next.knex('license_notifications').where({ kind: 'expiry-2m' }).first('status', 'message_id')) as {
          status: string;
          message_id: string;
        };
        expect(row.status).to.equal('sent');
        expect(smtp.received).to.have.length(2);
        const [first, second] = smtp.received;
        expect(first!.to).to.deep.equal(['ada@example.com']);
        expect(second!.to).to.deep.equal(['ada@example.com']);
        expect(second!.messageId).to.equal(first!.messageId);
        // the ID stored before the first send, on the first node's page domain, not made again here
        expect(first!.messageId).to.match(/^<lm\.[0-9a-f]{32}@127\.0\.0\.1>$/);
        expect(row.message_id).to.equal(first!.messageId);
      } finally {
        await smtp.stop();
      }
    });
  },
  ['sqlite', 'postgres'],
);
