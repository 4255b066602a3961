import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { deriveInstanceKey } from '../../../lib/instance-key/derive.js';
import { signDocument, parseDocument, importPublicJwk, signatureHolds } from '../../../lib/keys/document.js';
import { thumbprint } from '../../../lib/keys/jwk.js';

const PROD = '1A2B3C4D-ABCDEFGHIJKLMNOPQRST';
const STAGING = '9F8E7D6C-ABCDEFGHIJKLMNOPQRST';

describe('instance key (SPEC 18.1)', () => {
  const secret = randomBytes(32).toString('hex');

  it('is the same for the same secret and server ID (nodes agree, a staging re-sync keeps it)', () => {
    const a = deriveInstanceKey(secret, STAGING);
    const b = deriveInstanceKey(secret, STAGING);
    expect(a.kid).to.equal(b.kid);
    expect(a.privateJwk.d).to.equal(b.privateJwk.d);
    expect(a.kid).to.equal(thumbprint(a.publicJwk));
    expect(a.publicJwk).to.not.have.property('d');
  });

  it('differs with the server ID (a moved database, a staging copy) and with the secret (another instance)', () => {
    const prod = deriveInstanceKey(secret, PROD);
    expect(deriveInstanceKey(secret, STAGING).kid).to.not.equal(prod.kid);
    expect(deriveInstanceKey(randomBytes(32).toString('hex'), PROD).kid).to.not.equal(prod.kid);
  });

  it('signs a document that verifies with its public half only', async () => {
    const key = deriveInstanceKey(secret, PROD);
    const text = await signDocument('usage-report+jws', { hello: 1 }, key.privateJwk, { jwk: key.publicJwk });
    const doc = parseDocument(text, 'usage-report+jws');
    const own = await importPublicJwk(doc.header.jwk as never);
    expect(await signatureHolds(doc, own.key, own.alg)).to.equal(true);
    const other = await importPublicJwk(deriveInstanceKey(secret, STAGING).publicJwk);
    expect(await signatureHolds(doc, other.key, other.alg)).to.equal(false);
  });

  it('refuses a secret that is not 32 bytes of hex (misuse)', () => {
    expect(() => deriveInstanceKey('abc', PROD)).to.throw(TypeError);
  });
});
