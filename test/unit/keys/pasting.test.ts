import { expect } from 'chai';
import { verifyLicenseKey } from '../../../lib/index.js';
import { signLicenseKey } from '../../../lib/formats/index.js';
import { MAX_KEY_BYTES, normalizeKey } from '../../../lib/keys/parse.js';
import type { PrivateJwk, PublicJwk } from '../../../lib/keys/jwk.js';
import { publicKeysOf, refused, validPayload, vendor } from './fixtures.js';

const BEGIN = '-----BEGIN LICENSE KEY-----';
const END = '-----END LICENSE KEY-----';
const lines = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, 'g'))!;

// SPEC 3: what an administrator pastes from an email or a file.
describe('pasting a license key', () => {
  let key: string;
  let publicKeys: PublicJwk[];
  before(async () => {
    const pair = await vendor('paste');
    publicKeys = publicKeysOf(pair);
    key = await signLicenseKey(validPayload(), pair.privateJwk as PrivateJwk);
  });

  const pasted: [string, (k: string) => string][] = [
    ['the bare key', (k) => k],
    ['surrounding white space', (k) => `  \t\n${k}\n\n  `],
    ['a trailing newline', (k) => `${k}\n`],
    ['armour lines', (k) => `${BEGIN}\n${k}\n${END}\n`],
    ['armour lines with CRLF', (k) => `${BEGIN}\r\n${k}\r\n${END}\r\n`],
    ['armour and the key wrapped at 64 columns', (k) => `${BEGIN}\n${lines(k, 64).join('\n')}\n${END}`],
    ['the key wrapped at 76 columns with CRLF', (k) => lines(k, 76).join('\r\n')],
    ['a line break right after each dot', (k) => k.replaceAll('.', '.\n')],
    ['a line break right before each dot', (k) => k.replaceAll('.', '\r\n.')],
    [
      'an email reply indent (spaces and tabs on each line)',
      (k) =>
        lines(k, 60)
          .map((l) => `\t  ${l}  `)
          .join('\n'),
    ],
    ['armour on the same line as the key', (k) => `${BEGIN}${k}${END}`],
    ['only the BEGIN line', (k) => `${BEGIN}\n${k}`],
    ['non-breaking and other Unicode spaces around it', (k) => `\u00a0\u2003${k}\u2028`],
  ];
  for (const [what, shape] of pasted) {
    it(`accepts ${what}`, async () => {
      const text = shape(key);
      expect(normalizeKey(text)).to.equal(key);
      const { payload } = await verifyLicenseKey(text, { publicKeys });
      expect(payload.licensee).to.equal('Acme Corp');
    });
  }

  it('refuses text around the key that is not white space or armour', async () => {
    await refused(verifyLicenseKey(`License: ${key}`, { publicKeys }), 'KEY_MALFORMED');
    await refused(verifyLicenseKey(`-----BEGIN PUBLIC KEY-----\n${key}\n-----END PUBLIC KEY-----`, { publicKeys }), 'KEY_MALFORMED');
  });

  describe('the 16 KiB limit', () => {
    it('accepts a pasted key of exactly 16 KiB (white space counts) and refuses one byte more', async () => {
      const exact = `${BEGIN}\r\n${key}\r\n${END}`.padEnd(MAX_KEY_BYTES, '\n');
      expect(Buffer.byteLength(exact)).to.equal(MAX_KEY_BYTES);
      await verifyLicenseKey(exact, { publicKeys });
      await refused(verifyLicenseKey(`${exact} `, { publicKeys }), 'KEY_TOO_LARGE');
    });

    it('accepts a signed key whose compact form is exactly 16 KiB, and refuses one a byte longer', async () => {
      const pair = await vendor('paste');
      // Grow the payload with features until the compact key is as close to 16 KiB as base64url allows.
      const sized = async (filler: number) =>
        signLicenseKey(validPayload({ features: [...Array(12).fill('x'.repeat(900)), 'y'.repeat(filler)] }), pair.privateJwk as PrivateJwk);
      let filler = 1;
      let big = await sized(filler);
      expect(big.length).to.be.below(MAX_KEY_BYTES);
      filler += Math.floor(((MAX_KEY_BYTES - big.length) * 3) / 4);
      big = await sized(filler);
      while (big.length < MAX_KEY_BYTES) big = await sized(++filler);
      while (big.length > MAX_KEY_BYTES) big = await sized(--filler);
      // A base64url part cannot be 4n+1 long: one white space makes up for it when needed.
      const exact = big.padEnd(MAX_KEY_BYTES, '\n');
      expect(exact.length).to.equal(MAX_KEY_BYTES);
      expect(big.length).to.be.within(MAX_KEY_BYTES - 1, MAX_KEY_BYTES);
      const { payload } = await verifyLicenseKey(exact, { publicKeys: publicKeysOf(pair) });
      expect(payload.features).to.have.length(13);

      let over = await sized(filler + 1);
      expect(over.length).to.be.greaterThan(MAX_KEY_BYTES);
      await refused(verifyLicenseKey(over, { publicKeys: publicKeysOf(pair) }), 'KEY_TOO_LARGE');
      over = `${exact}\n`;
      await refused(verifyLicenseKey(over, { publicKeys: publicKeysOf(pair) }), 'KEY_TOO_LARGE');
    });

    it('checks the size before anything else: a huge valid-looking key is not parsed', async () => {
      const huge = `${key}${'A'.repeat(MAX_KEY_BYTES)}`;
      await refused(verifyLicenseKey(huge, { publicKeys }), 'KEY_TOO_LARGE');
      // 1 MiB of what would be KEY_MALFORMED once parsed: the size is checked first (how fast
      // that answers is the benchmark figure key_too_large_refusal_ms, not an assertion here)
      await refused(verifyLicenseKey('{'.repeat(1 << 20), { publicKeys }), 'KEY_TOO_LARGE');
    });
  });
});
