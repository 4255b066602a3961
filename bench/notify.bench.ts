/**
 * SPEC 13: one job run mailing 10,000 administrators through a local SMTP server (smtp-server),
 * against plain pooled nodemailer sending the same messages to the same server.
 *
 * - ours: `runJob()` of the job service on a fresh SQLite database, with one notification due (the
 *   license entered grace): lease, refresh, LOC snapshot, due, outbox, claim, render once, one
 *   message per administrator through the pooled transport (5 connections), deliveries recorded in
 *   batches, mark sent, run stored.
 * - raw: `nodemailer.createTransport({ pool: true, maxConnections: 5 })` and `Promise.all` of
 *   10,000 `sendMail` with the same subject, HTML and text, rendered once.
 * - raw with TCP_NODELAY: the same, given our socket factory. Our mailer turns Nagle's algorithm
 *   off (see lib/notify/mailer.ts): plain nodemailer waits for the server's delayed ACK, about
 *   40 ms per message and connection, which is most of the gap to it. This third figure shows
 *   what our job costs beyond the mail itself (database, claims, rendering).
 *
 * Warm-ups first; ours and raw-with-nodelay in alternating rounds (medians); plain nodemailer in
 * one round, as it takes a minute and a half. The server only counts messages: parsing them would
 * be what is measured.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import nodemailer from 'nodemailer';
import { createJobService } from '../lib/jobs/index.js';
import type { JobDeps } from '../lib/jobs/port.js';
import type { GlobalAdmin } from '../lib/host.js';
import type { LicensePayload } from '../lib/keys/claims.js';
import type { LicenseStatus } from '../lib/license/types.js';
import { noDelaySocket } from '../lib/notify/mailer.js';
import { createRenderer } from '../lib/notify/render.js';
import { migrateLatest } from '../lib/store/migrate.js';
import { instanceMigrations } from '../migrations/instance/index.js';
import { startSmtp } from '../test/helpers/smtp.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

const ADMINS = 10_000;
const ROUNDS = 3;
const FROM = 'License Manager <license@bench.example.com>';
const SERVER_ID = 'ABCDEF12-ABCDEFGHIJKLMNOPQRST';
const NOW = new Date('2027-04-01T00:00:00Z');
const EXP = Date.parse('2027-03-31T00:00:00Z') / 1000;

const log = (text: string) => process.stderr.write(`  ${text}\n`);

function payload(): LicensePayload {
  return {
    v: 1,
    lid: randomUUID(),
    sub: 'bench',
    licensee: 'Bench Corp',
    serverId: SERVER_ID,
    type: 'production',
    edition: 'enterprise',
    features: [],
    limits: {},
    tags: [],
    iat: EXP - 365 * 86400,
    nbf: EXP - 365 * 86400,
    exp: EXP,
    grace: 14,
  };
}

function statusOf(p: LicensePayload): LicenseStatus {
  return {
    serverId: SERVER_ID,
    state: 'grace',
    license: p,
    loc: { used: 0, limit: null, percent: null, threshold: 90, softCap: false },
    users: { used: 0, limit: null, reportedAt: null },
    warnings: [],
    details: {
      daysLeft: 0,
      validUntil: null,
      graceUntil: null,
      graceDaysLeft: null,
      graceEndsAt: new Date((EXP + 14 * 86400) * 1000).toISOString(),
      expiresAt: new Date(EXP * 1000).toISOString(),
      staging: false,
      evaluatedAt: NOW.toISOString(),
      bridgeUntil: null,
    },
  };
}

export async function run(emit: Emit): Promise<void> {
  const smtp = await startSmtp({ parse: false });
  const dir = mkdtempSync(join(tmpdir(), 'lm-bench-notify-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'bench.db') }, useNullAsDefault: true });
  const admins: GlobalAdmin[] = Array.from({ length: ADMINS }, (_, i) => ({ name: `Admin ${i}`, email: `admin${i}@bench.example.com` }));
  const raw = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, pool: true, maxConnections: 5 });
  const rawNoDelay = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, pool: true, maxConnections: 5, getSocket: noDelaySocket } as never);
  let current = payload();
  const deps: JobDeps = {
    knex,
    now: () => NOW,
    logger: { info: () => undefined, warn: log, error: log },
    productName: 'Bench Product',
    pageUrl: 'https://bench.example.com/admin/license',
    serverId: () => SERVER_ID,
    refresh: async () => undefined,
    status: () => statusOf(current),
    currentKey: () => ({ lid: current.lid, payload: current, setAt: new Date(NOW.getTime() - 86_400_000) }),
    getGlobalAdmins: async () => admins,
    mail: { transport: smtp.url, from: FROM },
  };
  const jobs = createJobService(deps);
  try {
    await migrateLatest(knex, { tableName: 'license_migrations', migrations: instanceMigrations });
    const email = await createRenderer().render(
      'grace',
      {
        serverId: SERVER_ID,
        lid: current.lid,
        licensee: 'Bench Corp',
        edition: 'enterprise',
        expiresAt: statusOf(current).details.expiresAt,
        daysLeft: 0,
        graceEndsAt: statusOf(current).details.graceEndsAt,
        loc: { used: 0, limit: null, threshold: 90, percent: null },
        at: NOW.toISOString(),
      },
      { productName: 'Bench Product', serverId: SERVER_ID, pageUrl: 'https://bench.example.com/admin/license' },
    );

    /** seconds to mail every administrator once, ours: one job run with one notification due */
    const ours = async (): Promise<number> => {
      current = payload(); // a new license in grace: a new notification is due
      const before = smtp.accepted;
      const started = performance.now();
      const result = await jobs.runJob();
      const seconds = (performance.now() - started) / 1000;
      if (result.outcome !== 'ok' || smtp.accepted - before !== ADMINS)
        throw new Error(`job run did not mail everyone: ${JSON.stringify(result)}, ${smtp.accepted - before} accepted`);
      return seconds;
    };
    /** seconds for raw nodemailer to send the same message to `count` administrators */
    const plain = async (transporter: typeof raw, count = ADMINS): Promise<number> => {
      const before = smtp.accepted;
      const started = performance.now();
      await Promise.all(
        admins.slice(0, count).map((a) => transporter.sendMail({ from: FROM, to: a.email, subject: email.subject, html: email.html, text: email.text })),
      );
      const seconds = (performance.now() - started) / 1000;
      if (smtp.accepted - before !== count) throw new Error('raw nodemailer did not mail everyone');
      return seconds;
    };

    await plain(raw, 200);
    await plain(rawNoDelay);
    await ours();
    const oursTimes: number[] = [];
    const noDelayTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        noDelayTimes.push(await plain(rawNoDelay));
        oursTimes.push(await ours());
      } else {
        oursTimes.push(await ours());
        noDelayTimes.push(await plain(rawNoDelay));
      }
      log(
        `round ${round + 1}: ours ${(ADMINS / oursTimes[round]!).toFixed(0)} mails/s, raw nodemailer with TCP_NODELAY ${(ADMINS / noDelayTimes[round]!).toFixed(0)} mails/s`,
      );
    }
    const rawRate = ADMINS / (await plain(raw));
    log(`plain pooled nodemailer: ${rawRate.toFixed(0)} mails/s`);
    const oursRate = ADMINS / median(oursTimes);
    const noDelayRate = ADMINS / median(noDelayTimes);
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    emit({ name: 'notify_mails_per_s', value: Math.round(oursRate), unit: 'mails/s' });
    emit({ name: 'notify_mails_per_s_raw_nodemailer', value: Math.round(rawRate), unit: 'mails/s' });
    emit({ name: 'notify_ratio_vs_raw_nodemailer', value: ratio(oursRate, rawRate), unit: 'ratio' });
    emit({ name: 'notify_mails_per_s_raw_nodemailer_nodelay', value: Math.round(noDelayRate), unit: 'mails/s' });
    emit({ name: 'notify_ratio_vs_raw_nodemailer_nodelay', value: ratio(oursRate, noDelayRate), unit: 'ratio' });
  } finally {
    await jobs.stop();
    raw.close();
    rawNoDelay.close();
    await knex.destroy();
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
