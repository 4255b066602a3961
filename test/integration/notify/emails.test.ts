import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, mailedJobs, mailTo, PAGE_URL, PRODUCT, SERVER_ID, type JobHarness } from '../../helpers/job-deps.js';
import { startSmtp, type ReceivedMail } from '../../helpers/smtp.js';

const ADMINS = [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Bob' }, { name: 'Carol', email: '  ' }];

function parts(mail: ReceivedMail): { html: string; text: string } {
  return { html: String(mail.parsed!.html), text: mail.parsed!.text ?? '' };
}

// The content of the mails does not depend on the database: one kind is enough.
withDbs(
  'notification emails',
  (dbs) => {
    const mailed = mailedJobs(dbs);
    let h: JobHarness | null = null;

    it('name the product, the server ID, the dates and a link to the page, in the HTML and the text part', async () => {
      const world = createWorld({ now: '2027-01-31T00:00:00Z', admins: ADMINS, loc: { used: 412_345, threshold: 90 } });
      const { lid } = world.setLicense({ exp: '2027-03-31T00:00:00Z', loc: 1_000_000, licensee: 'Globex & Sons' })!;
      h = await mailed.start(world);
      await h.jobs.runJob();

      expect(mailed.smtp.messages).to.have.length(1);
      const [mail] = mailed.smtp.messages;
      expect(mail!.to).to.deep.equal(['ada@example.com']);
      expect(mail!.parsed!.from!.value).to.deep.equal([{ name: 'License Manager', address: 'license@scanner.example.com' }]);
      const { html, text } = parts(mail!);
      for (const body of [html, text]) {
        expect(body).to.include(PRODUCT);
        expect(body).to.include(SERVER_ID);
        expect(body).to.include('valid until 30 March 2027'); // the last valid day: exp − 1 s
        expect(body).to.include('through 13 April 2027'); // the last day of grace
        expect(body).to.not.include('31 March 2027');
        expect(body).to.include('59 days');
        expect(body).to.include(lid);
        expect(body).to.include('412,345');
        expect(body).to.include('1,000,000');
        expect(body).to.include(PAGE_URL);
      }
      expect(html).to.include(`href="${PAGE_URL}"`);
      expect(html).to.include('Globex &amp; Sons'); // escaped in HTML
      expect(text).to.include('Globex & Sons');
    });

    it('say "1 day" and that the features stop after the last day for a license without grace days', async () => {
      const world = createWorld({ now: '2027-03-30T00:00:00Z', admins: ADMINS });
      world.setLicense({ exp: '2027-03-31T00:00:00Z', grace: 0, setAt: '2027-03-30T00:00:00Z' });
      h = await mailed.start(world);
      await h.jobs.runJob();

      const { html, text } = parts(mailed.smtp.messages[0]!);
      expect(html).to.include('valid until <strong>30 March 2027</strong>: <strong>1 day</strong> left.');
      expect(text).to.include('valid until 30 March 2027: 1 day left.');
      for (const body of [html, text]) {
        expect(body).to.include('After that day the licensed features stop.');
        expect(body).to.not.include('grace period');
      }
    });

    it('give the figures of the LOC threshold notice: used, limit, percent and threshold', async () => {
      const world = createWorld({ now: '2027-01-01T00:00:00Z', admins: ADMINS, loc: { used: 950_000, threshold: 90 } });
      world.setLicense({ exp: '2028-01-01T00:00:00Z', loc: 1_000_000 });
      h = await mailed.start(world);
      await h.jobs.runJob();

      const { html, text } = parts(mailed.smtp.messages[0]!);
      for (const body of [html, text]) {
        expect(body).to.include('950,000');
        expect(body).to.include('1,000,000');
        expect(body).to.include('95%');
        expect(body).to.include('90%');
        expect(body).to.include('1 January 2027');
        expect(body).to.include('31 December 2027'); // valid until: exp − 1 s
        expect(body).to.not.include('1 January 2028');
        expect(body).to.include(SERVER_ID);
        expect(body).to.include(PAGE_URL);
      }
    });

    it('sendTestEmail mails every administrator with an address and names the actor', async () => {
      const world = createWorld({ now: '2027-01-01T12:00:00Z', admins: [...ADMINS, { name: 'Dan', email: 'dan@example.com' }] });
      world.setLicense({ exp: '2028-01-01T00:00:00Z' });
      h = await mailed.start(world);

      expect(await h.jobs.sendTestEmail('ada')).to.deep.equal({ recipients: 2 });
      expect(mailed.smtp.messages.map((m) => m.to[0]).sort()).to.deep.equal(['ada@example.com', 'dan@example.com']);
      const { html, text } = parts(mailed.smtp.messages[0]!);
      expect(mailed.smtp.messages[0]!.parsed!.subject).to.equal(`${PRODUCT}: test email from the License Manager`);
      expect(html).to.include('sent by <strong>ada</strong>');
      expect(text).to.include('sent by ada');
      for (const body of [html, text]) {
        expect(body).to.include(SERVER_ID);
        expect(body).to.include(PAGE_URL);
      }
      const [row] = await h.jobs.notifications();
      expect([row!.kind, row!.status, row!.recipients]).to.deep.equal(['test', 'sent', 2]);
    });

    it('sendTestEmail refuses with VALIDATION_FAILED when mail is not configured or no administrator has an address', async () => {
      const world = createWorld({ now: '2027-01-01T12:00:00Z', admins: [{ name: 'Bob' }] });
      h = await mailed.start(world, {});
      const notConfigured = await h.jobs.sendTestEmail('ada').catch((e: unknown) => e);
      expect(notConfigured).to.include({ code: 'VALIDATION_FAILED' });
      expect((notConfigured as Error).message).to.match(/^Mail is not configured/);
      await h.close();

      h = await mailed.start(world);
      const nobody = await h.jobs.sendTestEmail('ada').catch((e: unknown) => e);
      expect(nobody).to.include({ code: 'VALIDATION_FAILED' });
      expect((nobody as Error).message).to.match(/^No global administrator has an email address/);
      expect(mailed.smtp.messages).to.have.length(0);
    });

    it('sendTestEmail refuses with MAIL_FAILED (502) naming the SMTP failure by its code when the server is down', async () => {
      const down = await startSmtp();
      await down.stop();
      const world = createWorld({ now: '2027-01-01T12:00:00Z', admins: ADMINS });
      h = await mailed.start(world, { mail: mailTo(down.url) });
      const err = await h.jobs.sendTestEmail('ada').catch((e: unknown) => e);
      expect(err).to.include({ code: 'MAIL_FAILED', status: 502 });
      expect((err as Error).message).to.equal('The test email could not be sent (MAIL_UNREACHABLE): The mail server could not be reached.');
      const [row] = await h.jobs.notifications();
      expect([row!.kind, row!.status]).to.deep.equal(['test', 'failed']);
    });

    it('health tells whether mail is configured, lists administrators without an address, and gives the last run', async () => {
      const world = createWorld({ now: '2027-01-01T12:00:00Z', admins: ADMINS });
      h = await mailed.start(world);
      expect(await h.jobs.health()).to.deep.equal({ mailConfigured: true, adminsWithoutEmail: ['Bob', 'Carol'], lastRun: null });
      const run = await h.jobs.runJob();
      expect((await h.jobs.health()).lastRun).to.deep.equal(run);
      expect(await h.jobs.jobRuns()).to.deep.equal([run]);
      expect(run).to.include({ ran: true, outcome: 'ok', sent: 0, failed: 0, pending: 0, startedAt: '2027-01-01T12:00:00.000Z' });
      await h.close();

      h = await mailed.start(world, {});
      expect((await h.jobs.health()).mailConfigured).to.equal(false);
    });

    it('stay pending, with nothing sent, while mail is not configured', async () => {
      const world = createWorld({ now: '2027-03-31T00:00:00Z', admins: ADMINS });
      world.setLicense({ exp: '2027-03-31T00:00:00Z' });
      h = await mailed.start(world, {});
      const run = await h.jobs.runJob();
      expect(run).to.include({ ran: true, sent: 0, failed: 0, pending: 1 });
      expect((await h.jobs.notifications()).map((n) => [n.kind, n.status])).to.deep.equal([['grace', 'pending']]);
    });
  },
  ['sqlite'],
);
