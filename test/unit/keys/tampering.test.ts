import { expect } from 'chai';
import fc from 'fast-check';
import { LicenseError, verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey, type VendorKeyPair } from '../../../lib/formats/index.js';
import type { PrivateJwk, PublicJwk } from '../../../lib/keys/jwk.js';
import { craft, joseSign, publicKeysOf, validPayload, vendor } from './fixtures.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// NOTE: white space and the armour lines are part of the accepted pasting format (SPEC 3), so an
// inserted space or line break is no change to the key. Every other character is.
const isWhiteSpace = (c: string) => /\s/.test(c);
const anyChar = fc
  .oneof(
    { weight: 6, arbitrary: fc.constantFrom(...BASE64URL) },
    { weight: 1, arbitrary: fc.constantFrom('.', '=', '+', '/', '"', '\0', 'é', '\u{1F511}') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  )
  .filter((c) => !isWhiteSpace(c));

type Part = 0 | 1 | 2;
const part = fc.constantFrom<Part>(0, 1, 2);

/** One change to one part of a key: what the property test applies. */
type Change =
  | { kind: 'replace'; part: Part; at: number; char: string }
  | { kind: 'insert'; part: Part; at: number; char: string }
  | { kind: 'delete'; part: Part; at: number }
  | { kind: 'swap'; a: Part; b: Part }
  | { kind: 'truncate'; at: number }
  | { kind: 'dot'; at: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), part, at: fc.nat(), char: anyChar }),
  fc.record({ kind: fc.constant('insert' as const), part, at: fc.nat(), char: anyChar }),
  fc.record({ kind: fc.constant('delete' as const), part, at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: part, b: part }).filter((s) => s.a !== s.b),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dot' as const), at: fc.nat() }),
);

function apply(key: string, c: Change): string {
  const parts = key.split('.');
  // After a truncation a part may be missing: it counts as empty.
  while (parts.length < 3 && c.kind !== 'truncate' && c.kind !== 'dot') parts.push('');
  const edit = (p: Part, f: (s: string, at: number) => string, at: number) => {
    const s = parts[p]!;
    parts[p] = s.length === 0 ? (c.kind === 'delete' ? '' : f(s, 0)) : f(s, at % (s.length + 1));
  };
  switch (c.kind) {
    case 'replace':
      edit(
        c.part,
        (s, at) => {
          const i = Math.max(0, Math.min(at, s.length - 1));
          // Replace with a different character, so that there is a change.
          const char = c.char === s[i] ? (s[i] === 'A' ? 'B' : 'A') : c.char;
          return s.slice(0, i) + char + s.slice(i + 1);
        },
        c.at,
      );
      return parts.join('.');
    case 'insert':
      edit(c.part, (s, at) => s.slice(0, at) + c.char + s.slice(at), c.at);
      return parts.join('.');
    case 'delete':
      edit(
        c.part,
        (s, at) => {
          const i = Math.min(at, s.length - 1);
          return s.slice(0, i) + s.slice(i + 1);
        },
        c.at,
      );
      return parts.join('.');
    case 'swap':
      [parts[c.a], parts[c.b]] = [parts[c.b]!, parts[c.a]!];
      return parts.join('.');
    case 'truncate':
      return key.slice(0, c.at % key.length);
    case 'dot': {
      const at = c.at % (key.length + 1);
      return `${key.slice(0, at)}.${key.slice(at)}`;
    }
  }
}

async function outcome(key: unknown, publicKeys: PublicJwk[]): Promise<'accepted' | LicenseError> {
  try {
    await verifyLicenseKey(key as string, { publicKeys });
    return 'accepted';
  } catch (err) {
    if (err instanceof LicenseError) return err;
    throw new Error(`not a LicenseError: ${String(err)}`, { cause: err });
  }
}

// SPEC 3 / issue 2: any change to header, payload or signature is refused with a typed error,
// never accepted, never a crash.
for (const alg of ['EdDSA', 'ES256'] as const) {
  describe(`tampering with a license key (${alg}, property-based)`, function () {
    this.timeout(120_000);
    let pair: VendorKeyPair;
    let publicKeys: PublicJwk[];
    let good: string;
    before(async () => {
      pair = await vendor('tamper', alg);
      publicKeys = publicKeysOf(pair);
      good = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
    });

    it('the untouched key verifies', async () => {
      expect(await outcome(good, publicKeys)).to.not.be.instanceOf(LicenseError);
    });

    it('refuses any single change with a LicenseError', async () => {
      await fc.assert(
        fc.asyncProperty(change, async (c) => {
          const tampered = apply(good, c);
          fc.pre(tampered !== good);
          const result = await outcome(tampered, publicKeys);
          expect(result, `${JSON.stringify(c)} was accepted`).to.be.instanceOf(LicenseError);
        }),
        { numRuns: 1500 },
      );
    });

    it('refuses a flipped character at every position of every part', async () => {
      for (let i = 0; i < good.length; i++) {
        if (good[i] === '.') continue;
        const alt = BASE64URL[(BASE64URL.indexOf(good[i]!) + 1) % 64];
        const result = await outcome(good.slice(0, i) + alt + good.slice(i + 1), publicKeys);
        expect(result, `flip at ${i} was accepted`).to.be.instanceOf(LicenseError);
      }
    });

    it('refuses a flipped bit anywhere in the decoded header, payload or signature', async () => {
      const raw = good.split('.').map((p) => Buffer.from(p, 'base64url'));
      await fc.assert(
        fc.asyncProperty(part, fc.nat(), fc.integer({ min: 0, max: 7 }), async (p, at, bit) => {
          const parts = raw.map((b) => Buffer.from(b));
          const bytes = parts[p]!;
          bytes[at % bytes.length]! ^= 1 << bit;
          const result = await outcome(parts.map((b) => b.toString('base64url')).join('.'), publicKeys);
          expect(result).to.be.instanceOf(LicenseError);
        }),
        { numRuns: 800 },
      );
    });

    it('refuses several changes at once', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(change, { minLength: 2, maxLength: 6 }), async (changes) => {
          const tampered = changes.reduce(apply, good);
          fc.pre(tampered !== good);
          expect(await outcome(tampered, publicKeys)).to.be.instanceOf(LicenseError);
        }),
        { numRuns: 500 },
      );
    });

    it('refuses a changed claim re-encoded under the original header and signature', async () => {
      const [h, , s] = good.split('.');
      const claims = validPayload();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(claims)), fc.jsonValue(), async (claim, value) => {
          const payload = { ...JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()), [claim]: value };
          const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
          fc.pre(p !== good.split('.')[1]);
          expect(await outcome(`${h}.${p}.${s}`, publicKeys)).to.be.instanceOf(LicenseError);
        }),
        { numRuns: 300 },
      );
    });
  });
}

describe('arbitrary input (property-based)', function () {
  this.timeout(120_000);
  let pair: VendorKeyPair;
  let publicKeys: PublicJwk[];
  before(async () => {
    pair = await vendor('arbitrary');
    publicKeys = publicKeysOf(pair);
  });

  it('any string is refused with a LicenseError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.array(fc.string({ unit: fc.constantFrom(...BASE64URL) }), { minLength: 1, maxLength: 5 }).map((p) => p.join('.')),
        ),
        async (text) => {
          expect(await outcome(text, publicKeys)).to.be.instanceOf(LicenseError);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('any value that is not a string is refused with KEY_MALFORMED', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything().filter((v) => typeof v !== 'string'),
        async (value) => {
          const result = await outcome(value, publicKeys);
          expect(result).to.be.instanceOf(LicenseError);
          expect((result as LicenseError).code).to.equal('KEY_MALFORMED');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any JSON header is refused with a LicenseError unless it is exactly a license header', async () => {
    const header = fc.record(
      {
        alg: fc.oneof(fc.constantFrom('EdDSA', 'ES256', 'none', 'HS256', 'RS256'), fc.jsonValue()),
        typ: fc.oneof(fc.constantFrom('license+jws', 'JWT'), fc.jsonValue()),
        kid: fc.oneof(fc.constant(pair?.kid), fc.jsonValue()),
        crit: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(header, fc.jsonValue()), async (h) => {
        const key = craft(h, validPayload());
        expect(await outcome(key, publicKeys)).to.be.instanceOf(LicenseError);
      }),
      { numRuns: 500 },
    );
  });

  it('any signed payload is either a valid license or KEY_CLAIMS_INVALID naming a claim, never a crash', async () => {
    const base = validPayload() as unknown as Record<string, unknown>;
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(Object.fromEntries(Object.keys(base).map((k) => [k, fc.oneof(fc.constant(base[k]), fc.jsonValue())])), {
        requiredKeys: [],
      }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const result = await outcome(await joseSign(pair, JSON.stringify(p)), publicKeys);
        if (result === 'accepted') return;
        expect(result.code).to.equal('KEY_CLAIMS_INVALID');
        expect(result.data.claim).to.be.a('string');
      }),
      { numRuns: 500 },
    );
  });
});
