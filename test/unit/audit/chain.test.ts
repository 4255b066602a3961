import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { actorName, canonicalJson, entryHash, GENESIS_HASH } from '../../../lib/audit/index.js';
import { bodyPrefix } from '../../../lib/audit/chain.js';
import { assertSafeDetail } from '../../../lib/audit/detail.js';

describe('audit chain (pure)', () => {
  it('writes canonical JSON: sorted keys at every depth, no white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: 'é' } })).to.equal('{"a":{"c":"é","d":[true,null,"x"]},"b":1}');
    expect(canonicalJson({ z: 1, a: 2 })).to.equal(canonicalJson({ a: 2, z: 1 }));
    expect(() => canonicalJson({ n: Number.NaN })).to.throw(TypeError);
  });

  it('hashes prev_hash + canonical JSON of the entry with SHA-256', () => {
    const entry = { id: 1, at: '2026-11-23T12:00:00.000Z', actor: 'alice', action: 'license_set', detail: { lid: 'L1' } };
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}{"action":"license_set","actor":"alice","at":"2026-11-23T12:00:00.000Z","detail":{"lid":"L1"},"id":1}`)
      .digest('hex');
    expect(entryHash(GENESIS_HASH, entry)).to.equal(expected);
    expect(entryHash(GENESIS_HASH, { ...entry, actor: 'mallory' })).to.not.equal(expected);
    expect(entryHash('f'.repeat(64), entry)).to.not.equal(expected);
  });

  it('an entry body is its prefix, its ID and "}" (what a database that hashes is given)', () => {
    const entry = { at: '2026-11-23T12:00:00.000Z', actor: 'Zoë', action: 'test_email', detail: { recipients: 3 } };
    expect(`${bodyPrefix(entry)}42}`).to.equal(canonicalJson({ ...entry, id: 42 }));
  });

  it('refuses an email address or a key text in the detail, and keeps the actor a name', () => {
    expect(() => assertSafeDetail({ to: 'ops@example.com' })).to.throw(TypeError, /email address/);
    expect(() => assertSafeDetail({ nested: [{ key: 'eyJhbGciOiJFZERTQSJ9.eyJ2IjoxLCJsaWQiOiJ4In0.c2lnbmF0dXJlc2ln' }] })).to.throw(TypeError, /key text/);
    expect(() => assertSafeDetail({ code: 'KEY_BAD_SIGNATURE', lid: '0d1c…', recipients: 3 })).to.not.throw();
    expect(actorName('alice@example.com')).to.equal('alice');
    expect(actorName('  ')).to.equal('unknown');
    expect(actorName('Alice Admin')).to.equal('Alice Admin');
  });
});
