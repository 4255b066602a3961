/**
 * One date convention (SPEC 16) for one key, read where people read it: the page, an email
 * received by the real SMTP server, the CLI, the support file and status().details.
 */
import { expect } from 'chai';
import { runCli } from '../../../lib/cli/program.js';
import { FormClient, startWeb, type WebFixture } from './fixture.js';

describe('dates: the page, the email, the CLI and the support file say the same last day', () => {
  let web: WebFixture;
  afterEach(() => web?.close());

  it('a key issued with --expires 2027-01-31 is valid until 31 January 2027 everywhere, never 1 February', async () => {
    web = await startWeb({ now: new Date('2026-11-23T12:00:00Z') });
    const key = await web.issue({ expires: '2027-01-31', licensee: 'Initech' }); // exp = 2027-02-01T00:00Z
    await web.setLicense(key);
    web.clock.now = new Date('2026-12-05T09:00:00Z'); // past the two-month reminder date
    await web.refresh();
    await web.lm.runJob();

    const html = (await new FormClient(web.base).get()).html;
    const page = /data-testid="valid-until">([^<]+)</.exec(html)?.[1];
    const pageDays = /data-testid="days-left">\(([^)]+)\)/.exec(html)?.[1];

    const mail = web.smtp.messages.find((m) => /valid until/.test(m.parsed?.subject ?? ''));
    expect(mail, 'the expiry reminder reached the SMTP server').to.not.equal(undefined);
    const email = /data-valid-until>([^<]+)</.exec(String(mail!.parsed!.html))?.[1];
    const subject = mail!.parsed!.subject!;

    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: () => undefined, env: {}, now: () => web.clock.now, cwd: process.cwd() };
    expect(await runCli(['inspect', key], io)).to.equal(0);
    const cli = /valid until (.+?) \(the last day, UTC\)/.exec(out)?.[1];

    const support = (await (await fetch(`${web.base}/api/support-info`)).json()) as { license: { validUntil: string; graceUntil: string } };
    const details = web.status().details;

    expect({ page, email, cli }).to.deep.equal({ page: '31 January 2027', email: '31 January 2027', cli: '31 January 2027' });
    expect(subject).to.equal('Code Scanner: the license is valid until 31 January 2027, 58 days left');
    expect(pageDays).to.equal('58 days left');
    expect(details).to.include({ validUntil: '2027-01-31', graceUntil: '2027-02-14', daysLeft: 58 });
    expect(support.license).to.include({ validUntil: '2027-01-31', graceUntil: '2027-02-14' });
    for (const text of [html, String(mail!.parsed!.html), mail!.parsed!.text ?? '', out]) expect(text).to.not.include('1 February 2027');
  });
});
