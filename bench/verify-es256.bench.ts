/**
 * SPEC 15.3 / issue 10: ES256 verification of 1,000 distinct license keys, ours against
 * `node:crypto.verify` with `dsaEncoding: 'ieee-p1363'` on the same keys.
 *
 * - ours: `verifyLicenseKey(key, { publicKeys: [publicJwk] })`, a new array each call (parse,
 *   header, signature, claims).
 * - node: split the compact JWS, `crypto.verify('sha256', …)` with a KeyObject made once, and
 *   `JSON.parse` of the payload: the least any verifier does.
 *
 * Warm-up, then alternating rounds; medians; ratio = ours / node.
 */
import { createPublicKey, verify } from 'node:crypto';
import { verifyLicenseKey } from '../lib/index.js';
import { buildPayload, generateKeyPair, signLicenseKey } from '../lib/formats/index.js';
import type { PublicJwk } from '../lib/keys/jwk.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

const KEYS = 1_000;
const WARMUP_PASSES = 3;
const ROUNDS = 9;

const log = (text: string) => process.stderr.write(`  ${text}\n`);

async function pass(keys: readonly string[], check: (key: string) => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  for (const key of keys) await check(key);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function run(emit: Emit): Promise<void> {
  const { publicJwk, privateJwk } = await generateKeyPair('ES256');
  const keys: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const payload = buildPayload({
      serverId: '1A2B3C4D-ABCDEFGHIJKLMNOPQRST',
      licensee: `Customer ${i} Ltd`,
      type: 'production',
      expires: '2030-12-31',
      features: ['sso', 'audit'],
      loc: 100_000 + i,
      now: new Date(),
    });
    keys.push(await signLicenseKey(payload, privateJwk));
  }
  if (new Set(keys).size !== KEYS) throw new Error('the keys are not distinct');

  const keyObject = createPublicKey({ key: publicJwk as never, format: 'jwk' });
  const ours = (key: string) => verifyLicenseKey(key, { publicKeys: [publicJwk as PublicJwk] });
  const node = (key: string) => {
    const [h, p, s] = key.split('.') as [string, string, string];
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: keyObject, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    if (!ok) throw new Error('node refused a key');
    return JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
  };

  for (const key of keys) {
    await ours(key);
    node(key);
  }
  for (let i = 0; i < WARMUP_PASSES; i++) {
    await pass(keys, ours);
    await pass(keys, node);
  }
  const oursRates: number[] = [];
  const nodeRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      oursRates.push(KEYS / (await pass(keys, ours)));
      nodeRates.push(KEYS / (await pass(keys, node)));
    } else {
      nodeRates.push(KEYS / (await pass(keys, node)));
      oursRates.push(KEYS / (await pass(keys, ours)));
    }
    log(`round ${round + 1}: ours ${oursRates.at(-1)!.toFixed(0)}/s, node ${nodeRates.at(-1)!.toFixed(0)}/s`);
  }
  const oursOps = median(oursRates);
  const nodeOps = median(nodeRates);
  emit({ name: 'verify_es256_ops_per_s', value: Math.round(oursOps), unit: 'ops/s' });
  emit({ name: 'verify_es256_ops_per_s_node', value: Math.round(nodeOps), unit: 'ops/s' });
  emit({ name: 'verify_es256_ratio_vs_node', value: Number((oursOps / nodeOps).toFixed(3)), unit: 'x' });
}
