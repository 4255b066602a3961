// The key form's multipart bodies (RFC 7578), parsed by busboy: no server, no database.
import { expect } from 'chai';
import { parseMultipart } from '../../../lib/web/multipart.js';

const BOUNDARY = 'lm-test-boundary';
const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function body(parts: { headers: string[]; value: string }[], end = true): Buffer {
  const text = parts.map((p) => `--${BOUNDARY}\r\n${p.headers.join('\r\n')}\r\n\r\n${p.value}\r\n`).join('') + (end ? `--${BOUNDARY}--\r\n` : '');
  return Buffer.from(text, 'utf8');
}

async function refusal(work: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await work;
  } catch (err) {
    return err as { status: number; code: string };
  }
  throw new Error('expected a refusal, but the body was read');
}

describe('multipart form bodies', () => {
  it('reads text fields and a key file as UTF-8, with the file name beside it', async () => {
    const fields = await parseMultipart(
      headers,
      body([
        { headers: ['Content-Disposition: form-data; name="_csrf"'], value: 'tøken' },
        {
          headers: ['Content-Disposition: form-data; name="keyfile"; filename="Zürich.key"', 'Content-Type: application/octet-stream'],
          value: 'eyJh.eyJi.c2ln',
        },
      ]),
    );
    expect(fields).to.deep.equal({ _csrf: 'tøken', keyfile: 'eyJh.eyJi.c2ln', keyfileName: 'Zürich.key' });
  });

  it('understands filename* (RFC 5987), as browsers send names that are not ASCII', async () => {
    const fields = await parseMultipart(
      headers,
      body([{ headers: [`Content-Disposition: form-data; name="keyfile"; filename="fallback.key"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.key`], value: 'k' }]),
    );
    expect(fields.keyfileName).to.equal('東京.key');
  });

  it('refuses more than 20 fields with 413', async () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ headers: [`Content-Disposition: form-data; name="f${i}"`], value: 'x' }));
    expect(await refusal(parseMultipart(headers, body(many)))).to.include({ status: 413, code: 'VALIDATION_FAILED' });
  });

  it('refuses a content type without a boundary, and a body that is not multipart, with 400', async () => {
    expect(await refusal(parseMultipart({ 'content-type': 'multipart/form-data' }, Buffer.from('x')))).to.include({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await refusal(parseMultipart(headers, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated`)))).to.include({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  });
});
