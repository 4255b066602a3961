import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, mailTo, type JobHarness } from '../../helpers/job-deps.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

const admins = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Admin ${i}`, email: `admin${i}@example.com` }));

/** how many messages each address received, for every address */
function perAddress(smtp: SmtpTestServer, n: number): number[] {
  return Array.from({ length: n }, (_, i) => smtp.to(`admin${i}@example.com`).length);
}

withDbs('SMTP outage and recovery', (dbs) => {
  let smtp: SmtpTestServer;
  let h: JobHarness | null = null;

  beforeEach(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await h?.close();
    h = null;
    await smtp.stop();
  });

  it('keeps a notification pending while the SMTP port is closed, sends it once when the server is back, and never again', async () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: admins(3) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    await smtp.stop();

    const down = await h.jobs.runJob();
    expect(down).to.include({ ran: true, outcome: 'failed', sent: 0, failed: 1, pending: 1 });
    const [row] = await h.jobs.notifications();
    expect(row).to.include({ kind: 'grace', status: 'pending', attempts: 1, sentAt: null });
    expect(row!.lastError).to.equal('MAIL_UNREACHABLE: The mail server could not be reached.');

    await smtp.restart();
    world.setNow('2027-04-01T00:00:00Z');
    const back = await h.jobs.runJob();
    expect(back).to.include({ ran: true, outcome: 'ok', sent: 1, failed: 0, pending: 0 });
    expect(perAddress(smtp, 3)).to.deep.equal([1, 1, 1]);

    world.setNow('2027-04-02T00:00:00Z');
    await h.jobs.runJob();
    expect(perAddress(smtp, 3)).to.deep.equal([1, 1, 1]);
    const [sent] = await h.jobs.notifications();
    expect(sent).to.include({ status: 'sent', attempts: 2, recipients: 3, sentAt: '2027-04-01T00:00:00.000Z' });
  });

  it('after the server fails in the middle of a notification, the next run mails only the administrators who did not get it', async () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: admins(8) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    smtp.failAfter = 3; // then 451 to every message

    const first = await h.jobs.runJob();
    expect(first).to.include({ outcome: 'failed', failed: 1, pending: 1 });
    expect(smtp.messages).to.have.length(3);

    smtp.failAfter = null;
    const second = await h.jobs.runJob();
    expect(second).to.include({ outcome: 'ok', sent: 1, pending: 0 });
    expect(perAddress(smtp, 8)).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('leaves the notifications after a failed one pending too, and sends them all on the next run', async () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: admins(2), loc: { used: 990, threshold: 90 } });
    world.setLicense({ exp: '2027-03-31T00:00:00Z', loc: 1000 });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    smtp.failing = true;

    expect(await h.jobs.runJob()).to.include({ outcome: 'failed', sent: 0, failed: 1, pending: 2 });
    expect(smtp.messages).to.have.length(0);

    smtp.failing = false;
    expect(await h.jobs.runJob()).to.include({ outcome: 'ok', sent: 2, failed: 0, pending: 0 });
    expect(perAddress(smtp, 2)).to.deep.equal([2, 2]);
    expect((await h.jobs.notifications()).map((n) => n.status)).to.deep.equal(['sent', 'sent']);
  });

  it('does not hold a notification back for an address the server refuses for good, and does not retry that address', async () => {
    const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: admins(3) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    smtp.refuse.add('admin1@example.com');

    expect(await h.jobs.runJob()).to.include({ outcome: 'ok', sent: 1, pending: 0 });
    expect(perAddress(smtp, 3)).to.deep.equal([1, 0, 1]);
    const [row] = await h.jobs.notifications();
    expect(row!.status).to.equal('sent');
    expect(row!.lastError).to.equal('Refused by the mail server for 1 address.'); // no address shown (SPEC 15.6)

    smtp.refuse.clear();
    world.setNow('2027-04-01T00:00:00Z');
    await h.jobs.runJob();
    expect(perAddress(smtp, 3)).to.deep.equal([1, 0, 1]);
  });

  it('drops a notification held back by an outage once another license is current: no stale reminder after a renewal', async () => {
    const world = createWorld({ now: '2027-02-28T00:00:00Z', admins: admins(2) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z', setAt: '2026-04-01T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    await smtp.stop();
    expect(await h.jobs.runJob()).to.include({ failed: 1, pending: 1 });

    await smtp.restart();
    world.setLicense({ exp: '2028-03-31T00:00:00Z', setAt: '2027-03-01T00:00:00Z' });
    world.setNow('2027-03-01T00:00:00Z');
    expect(await h.jobs.runJob()).to.include({ outcome: 'ok', sent: 0, pending: 0 });
    expect(smtp.messages).to.have.length(0);
    const [row] = await h.jobs.notifications();
    expect(row).to.include({ kind: 'expiry-1m', status: 'failed', lastError: 'Not sent: the license it is about is no longer the current one.' });
  });

  it('drops a reminder held back by an outage once its moment has passed: after a long outage only the notice that is still true goes out', async () => {
    const world = createWorld({ now: '2027-01-31T00:00:00Z', admins: admins(2) });
    world.setLicense({ exp: '2027-03-31T00:00:00Z', setAt: '2026-04-01T00:00:00Z' });
    h = await jobHarness(await dbs.fresh(), world, { mail: mailTo(smtp.url) });
    await smtp.stop();
    expect(await h.jobs.runJob()).to.include({ failed: 1, pending: 1 }); // the two-month reminder
    world.setNow('2027-02-28T00:00:00Z');
    expect(await h.jobs.runJob()).to.include({ failed: 1, pending: 1 }); // the one-month one replaced it

    await smtp.restart();
    world.setNow('2027-03-01T00:00:00Z');
    expect(await h.jobs.runJob()).to.include({ outcome: 'ok', sent: 1, pending: 0 });
    expect(smtp.messages.map((m) => m.parsed!.subject)).to.deep.equal([
      'Acme Code Scanner: the license is valid until 30 March 2027, 30 days left',
      'Acme Code Scanner: the license is valid until 30 March 2027, 30 days left',
    ]);
    expect((await h.jobs.notifications()).map((n) => [n.kind, n.status])).to.deep.equal([
      ['expiry-1m', 'sent'],
      ['expiry-2m', 'failed'],
    ]);
  });
});
