import { expect } from 'chai';
import { databaseFailure, failureText, mailFailure, redactError, redactingLogger, redactText, redactUrl } from '../../../lib/redact.js';

const KEY = 'eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urandzd.eyJ2IjoxLCJsaWQiOiIxMjM0NTY3OC0xMjM0LTEyMzQt.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl';

describe('redaction (SPEC 15.6)', () => {
  it('prints URLs with the password masked and the rest kept', () => {
    expect(redactUrl('smtp://user:S3cret@mail.example.com:587')).to.equal('smtp://user:***@mail.example.com:587');
    expect(redactUrl('postgres://u:PASSWORD@db:5432/scanner?sslmode=require')).to.equal('postgres://u:***@db:5432/scanner?sslmode=require');
    expect(redactUrl('smtps://mail.example.com?pass=x&pool=true')).to.equal('smtps://mail.example.com?pass=***&pool=true');
    expect(redactUrl('smtp://mail.example.com:25')).to.equal('smtp://mail.example.com:25');
    expect(redactUrl('postgres://u:PASS WORD@[bad/db')).to.equal('postgres://u:***@[bad/db');
  });

  it("removes knex's statement and bound values, keys, addresses and credentials from free text", () => {
    const knexMessage = `insert into \`license_keys\` (\`compact\`, \`email\`) values ('${KEY}', 'it@acme.example') - SQLITE_READONLY: attempt to write a readonly database`;
    expect(redactText(knexMessage)).to.equal('SQLITE_READONLY: attempt to write a readonly database');
    expect(redactText(`key ${KEY} refused`)).to.equal('key [license key] refused');
    expect(redactText('550 5.1.1 <ada.lovelace@customer.example>: No such user')).to.equal('550 5.1.1 <[address]>: No such user');
    expect(redactText('connect to mysql://root:hunter2@db/x failed')).to.equal('connect to mysql://root:***@db/x failed');
    expect(redactText('password=hunter2; user=root')).to.equal('password=***; user=root');
  });

  it('logs an error with its frames and causes, redacted', () => {
    const err = new Error(`update license_settings set value = 'x' - boom for it@acme.example`, {
      cause: Object.assign(new Error(`token=abc`), { code: 'E1' }),
    });
    const text = redactError(err);
    expect(text).to.match(/^Error: boom for \[address\]\n\s+at /);
    expect(text).to.include('caused by Error [E1]: token=***');
    expect(text).to.not.include('update license_settings');
  });

  it('the logger wrapper redacts the message and every value of the data', () => {
    const lines: unknown[] = [];
    const logger = redactingLogger({ info: (m, d) => lines.push([m, d]), warn: () => undefined, error: (m, d) => lines.push([m, d]) });
    const at = new Date(0);
    logger.error(`failed for ${KEY}`, { error: new Error('to bob@x.example'), nested: { list: ['smtp://u:p@h'] }, at, n: 1 });
    expect(lines).to.deep.equal([
      ['failed for [license key]', { error: (lines[0] as [string, { error: string }])[1].error, nested: { list: ['smtp://u:***@h'] }, at, n: 1 }],
    ]);
    expect(JSON.stringify(lines)).to.not.include('bob@x.example');
  });

  it('stores failures as a code and a fixed sentence chosen from error codes, never from their text', () => {
    expect(failureText(mailFailure(Object.assign(new Error('550 <a@b.example> no'), { code: 'EENVELOPE', responseCode: 550 })))).to.equal(
      'MAIL_REJECTED: The mail server refused the message (reply 550).',
    );
    expect(mailFailure(Object.assign(new Error('x'), { code: 'ESOCKET' })).code).to.equal('MAIL_UNREACHABLE');
    expect(mailFailure(Object.assign(new Error('x'), { code: 'EAUTH', responseCode: 535 })).code).to.equal('MAIL_AUTH_FAILED');
    expect(mailFailure(Object.assign(new Error('x'), { responseCode: 451 })).code).to.equal('MAIL_DEFERRED');
    expect(databaseFailure(Object.assign(new Error('x'), { code: 'SQLITE_READONLY' })).code).to.equal('DATABASE_READ_ONLY');
    expect(databaseFailure(Object.assign(new Error('x'), { code: '28P01' })).code).to.equal('DATABASE_AUTH_FAILED');
    expect(databaseFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).code).to.equal('DATABASE_UNREACHABLE');
    expect(databaseFailure(new TypeError('x')).code).to.equal('INTERNAL');
  });
});
