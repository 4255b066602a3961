/**
 * SPEC 15.6, hostile input: names with control characters, LOC beyond 10^12, CSV cells a
 * spreadsheet would run, and request bodies whose Content-Encoding does not decode. Through the
 * real router on a real SQLite file.
 */
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { refusal } from '../../helpers/managers.js';
import { USAGE_CSV_HEADER, usageCsvRows } from '../../../lib/web/csv.js';
import { api, startWeb, type WebFixture } from './fixture.js';

describe('hostile input (SPEC 15.6)', () => {
  let web: WebFixture;
  before(async () => {
    web = await startWeb();
  });
  after(() => web.close());

  it('refuses project and branch names with control characters, and LOC over 10^12, with VALIDATION_FAILED; nothing is stored', async () => {
    for (const name of ['a\nb', 'tab\there', 'nul\0', 'esc\u001b[31m', 'del\u007f', 'c1\u0085']) {
      expect((await refusal(web.lm.recordAnalysis({ project: name, branch: 'main', loc: 1 }))).code, JSON.stringify(name)).to.equal('VALIDATION_FAILED');
      expect((await refusal(web.lm.recordAnalysis({ project: 'p', branch: name, loc: 1 }))).code, JSON.stringify(name)).to.equal('VALIDATION_FAILED');
    }
    const tooMany = await refusal(web.lm.recordAnalysis({ project: 'big', branch: 'main', loc: 1e12 + 1 }));
    expect(tooMany.code).to.equal('VALIDATION_FAILED');
    expect(tooMany.message).to.include('10^12');
    expect((await refusal(web.lm.checkAnalysis({ project: 'big', branch: 'main', loc: 2 ** 60 }))).code).to.equal('VALIDATION_FAILED');
    expect(web.status().loc.used).to.equal(0);
    await web.recordAnalysis('big', 'main', 1e12);
    expect(web.status().loc.used).to.equal(1e12);
    await web.lm.removeProject('big');
  });

  it('neutralises CSV cells that start with = + - @ in the real export', async () => {
    for (const name of ['=HYPERLINK("http://evil.example")', '+1+1', '-2+3', '@SUM(A1)']) await web.recordAnalysis(name, 'main', 10);
    const res = await fetch(`${web.base}/api/loc-usage?format=csv`);
    const csv = await res.text();
    expect(csv).to.include(`"'=HYPERLINK(""http://evil.example"")"`);
    for (const cell of ["'+1+1", "'-2+3", "'@SUM(A1)"]) expect(csv).to.include(`\r\n${cell},main,`);
    expect(csv).to.not.match(/(^|\r\n|,)[=+\-@]/);
  });

  it('neutralises cells that start with tab, CR, LF or NUL (names stored before these checks)', () => {
    const rows = ['\tcmd', '\rcmd', '\n=cmd', '\0=cmd'].map((project) => ({ project, branch: 'main', loc: 1, share: null, lastAnalysisAt: null }));
    const csv = USAGE_CSV_HEADER + usageCsvRows(rows as never);
    expect(
      csv
        .split('\r\n')
        .slice(1, 5)
        .map((line) => line.slice(0, 3)),
    ).to.deep.equal(["'\tc", `"'\r`, `"'\n`, "'\0="]);
  });

  it('answers a body whose Content-Encoding does not decode with 400 VALIDATION_FAILED, not 500', async () => {
    const send = (body: Buffer, encoding: string) =>
      fetch(`${web.base}/api/license`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: new Uint8Array(body),
      });
    const garbage = await send(Buffer.from('this is not gzip at all'), 'gzip');
    expect(garbage.status).to.equal(400);
    expect((await garbage.json()).error).to.deep.equal({
      code: 'VALIDATION_FAILED',
      message: 'The request body does not decode as its Content-Encoding says.',
    });
    const gz = gzipSync(JSON.stringify({ key: 'not-a-key' }));
    const truncated = await send(gz.subarray(0, gz.length - 8), 'gzip');
    expect(truncated.status).to.equal(400);
    expect((await send(Buffer.from('xx'), 'deflate')).status).to.equal(400);
    const decoded = await send(gz, 'gzip'); // a good gzip body is read: the key inside is then refused
    expect(decoded.status).to.equal(422);
    expect((await decoded.json()).error.code).to.equal('KEY_MALFORMED');
    expect((await send(gz, 'x-unknown')).status).to.equal(415);
    expect((await api(web.base, 'GET', '/status')).status).to.equal(200);
  });
});
