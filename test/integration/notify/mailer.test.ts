import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { createMailer } from '../../../lib/notify/mailer.js';
import { startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

const FROM = 'License Manager <license@scanner.example.com>';
const message = (to: string) => ({ to, subject: 'Hello', html: '<p>Hello</p>', text: 'Hello' });

describe("mailer: the host's transport", () => {
  let smtp: SmtpTestServer;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  afterEach(() => smtp.clear());

  it('sends through an SMTP URL', async () => {
    const mailer = createMailer({ transport: smtp.url, from: FROM });
    try {
      await Promise.all([mailer.send(message('a@example.com')), mailer.send(message('b@example.com'))]);
    } finally {
      mailer.close();
    }
    expect(smtp.messages.map((m) => m.to[0]).sort()).to.deep.equal(['a@example.com', 'b@example.com']);
    expect(smtp.messages[0]!.parsed!.from!.value[0]!.address).to.equal('license@scanner.example.com');
  });

  it('pools the connections of an SMTP URL and of SMTP options: 60 messages over at most 5 connections', async () => {
    for (const transport of [smtp.url, { host: '127.0.0.1', port: smtp.port }]) {
      const before = smtp.connections;
      const mailer = createMailer({ transport, from: FROM });
      try {
        await Promise.all(Array.from({ length: 60 }, (_, i) => mailer.send(message(`admin${i}@example.com`))));
      } finally {
        mailer.close();
      }
      expect(smtp.connections - before).to.be.within(1, 5);
    }
    expect(smtp.messages).to.have.length(120);
  });

  it('sends through nodemailer SMTP options', async () => {
    const mailer = createMailer({ transport: { host: '127.0.0.1', port: smtp.port }, from: FROM });
    try {
      await mailer.send(message('a@example.com'));
    } finally {
      mailer.close();
    }
    expect(smtp.to('a@example.com')).to.have.length(1);
  });

  it("sends through a transporter the host made, and leaves it open on close(): it is the host's", async () => {
    const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, pool: true });
    try {
      const mailer = createMailer({ transport: transporter, from: FROM });
      await mailer.send(message('a@example.com'));
      mailer.close();
      await transporter.sendMail({ from: FROM, ...message('b@example.com') });
    } finally {
      transporter.close();
    }
    expect(smtp.messages).to.have.length(2);
  });

  it('sends through a non-SMTP transport given as options (a JSON transport here)', async () => {
    const mailer = createMailer({ transport: { jsonTransport: true }, from: FROM });
    await mailer.send(message('a@example.com'));
    mailer.close();
    expect(smtp.messages).to.have.length(0);
  });

  it('is not configured without mail options, and refuses bad ones with a TypeError naming the option', () => {
    expect(createMailer(undefined).configured).to.equal(false);
    expect(() => createMailer({ transport: 'mail.example.com', from: FROM })).to.throw(TypeError, /^mail\.transport/);
    expect(() => createMailer({ transport: 42, from: FROM })).to.throw(TypeError, /^mail\.transport/);
    expect(() => createMailer({ transport: smtp.url, from: '' })).to.throw(TypeError, /^mail\.from/);
  });
});
