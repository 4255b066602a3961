/**
 * SPEC 13: full verification of 1,000 distinct Ed25519 license keys, one after another, ours
 * against jose on the same keys.
 *
 * - ours: `verifyLicenseKey(key, { publicKeys: [publicJwk] })`, a new array literal on every call
 *   as hosts write it (imported keys are cached by content, SPEC 15.3); every call parses, checks
 *   the header, verifies the signature and validates the claims. Nothing caches results: every
 *   key is different.
 * - jose: `compactVerify(key, joseKey)` + `JSON.parse` of the payload, the key imported once.
 *
 * Both are warmed up, then timed in alternating rounds (ours first, then jose first, ...); each
 * figure is the median of the rounds, and the ratio is ours / jose of those medians.
 */
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { verifyLicenseKey } from '../lib/index.js';
import { buildPayload, generateKeyPair, signLicenseKey } from '../lib/formats/index.js';
import type { PublicJwk } from '../lib/keys/jwk.js';
import type { Emit } from './run.js';
import { median } from './stats.js';

export const order = 0; // issue 2: `npm run bench` starts with these figures

const KEYS = 1_000;
const WARMUP_PASSES = 3;
const ROUNDS = 9;

const log = (text: string) => process.stderr.write(`  ${text}\n`);

/** Seconds for one pass over every key. */
async function pass(keys: readonly string[], verify: (key: string) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (const key of keys) await verify(key);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function run(emit: Emit): Promise<void> {
  const { publicJwk, privateJwk } = await generateKeyPair('EdDSA');
  const now = new Date();
  const keys: string[] = [];
  const lids: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const payload = buildPayload({
      serverId: '1A2B3C4D-ABCDEFGHIJKLMNOPQRST',
      licensee: `Customer ${i} Ltd`,
      email: `admin${i}@customer${i}.example`,
      type: 'production',
      expires: '2030-12-31',
      sub: randomUUID(),
      features: ['sso', 'audit', 'reports'],
      loc: 100_000 + i,
      users: 10 + i,
      tags: i % 2 ? ['true-up'] : [],
      now,
    });
    keys.push(await signLicenseKey(payload, privateJwk));
    lids.push(payload.lid);
  }
  if (new Set(keys).size !== KEYS) throw new Error('the keys are not distinct');
  log(`${KEYS} distinct Ed25519 keys, ${keys[0]!.length} characters each`);

  const joseKey = await jose.importJWK(publicJwk as jose.JWK, 'EdDSA');
  const decoder = new TextDecoder();
  const ours = (key: string) => verifyLicenseKey(key, { publicKeys: [publicJwk as PublicJwk] });
  const theirs = async (key: string) => {
    const { payload } = await jose.compactVerify(key, joseKey);
    return JSON.parse(decoder.decode(payload)) as unknown;
  };

  // Both really verify every key (a benchmark of refusals would be meaningless).
  for (let i = 0; i < KEYS; i++) {
    const a = await ours(keys[i]!);
    const b = (await theirs(keys[i]!)) as { lid: string };
    if (a.payload.lid !== lids[i] || b.lid !== lids[i]) throw new Error(`key ${i} did not verify the same way`);
  }
  for (let i = 0; i < WARMUP_PASSES; i++) {
    await pass(keys, ours);
    await pass(keys, theirs);
  }

  const oursRates: number[] = [];
  const joseRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // NOTE: alternate who goes first, so that neither always runs on a warmer (or more
    // fragmented) heap.
    if (round % 2 === 0) {
      oursRates.push(KEYS / (await pass(keys, ours)));
      joseRates.push(KEYS / (await pass(keys, theirs)));
    } else {
      joseRates.push(KEYS / (await pass(keys, theirs)));
      oursRates.push(KEYS / (await pass(keys, ours)));
    }
    log(`round ${round + 1}: ours ${oursRates.at(-1)!.toFixed(0)}/s, jose ${joseRates.at(-1)!.toFixed(0)}/s`);
  }

  const oursOps = median(oursRates);
  const joseOps = median(joseRates);
  emit({ name: 'verify_ops_per_s', value: Math.round(oursOps), unit: 'ops/s' });
  emit({ name: 'verify_ops_per_s_jose', value: Math.round(joseOps), unit: 'ops/s' });
  emit({ name: 'verify_ratio_vs_jose', value: Number((oursOps / joseOps).toFixed(3)), unit: 'x' });
}
