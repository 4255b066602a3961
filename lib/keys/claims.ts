import { LicenseError } from '../errors.js';
import { DAY_SECONDS } from '../time.js';

export type LicenseType = 'production' | 'staging' | 'trial';

/** The payload of a license key (SPEC 3). */
export interface LicensePayload {
  v: 1;
  lid: string;
  sub: string;
  licensee: string;
  email?: string;
  serverId: string;
  type: LicenseType;
  edition: string;
  features: string[];
  limits: { loc?: number; users?: number };
  tags: string[];
  iat: number;
  nbf: number;
  exp: number;
  grace?: number;
  /** self-service extension (SPEC 22): `uses` times, `days` each, from the start of grace */
  ext?: LicenseExtensionClaim;
}

/** The `ext` claim: how many self-service extensions a key allows, and of how many days each. */
export interface LicenseExtensionClaim {
  days: number;
  uses: number;
}

export interface LicenseHeader {
  /** `Ed25519` is RFC 9864's name for EdDSA on Ed25519 */
  alg: 'EdDSA' | 'Ed25519' | 'ES256';
  typ: 'license+jws';
  kid: string;
}

export const SERVER_ID_PATTERN = /^[0-9A-F]{8}-[A-Z2-7]{20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPES: readonly string[] = ['production', 'staging', 'trial'];
export const DEFAULT_GRACE_DAYS = 14;
/** 2000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: dates outside them cannot be shown or compared safely. */
export const EARLIEST_TIME = 946_684_800;
export const LATEST_TIME = 253_402_300_799;
export const MAX_GRACE_DAYS = 3650;
/** Largest limit a key may carry (SPEC 15.3): larger counts are typos, and lose precision in JSON. */
export const MAX_LIMIT = 1e12;
/** SPEC 22: an extension is 1–30 days, a key allows 1–3 of them */
export const EXTENSION_DAYS = { min: 1, max: 30 } as const;
export const EXTENSION_USES = { min: 1, max: 3 } as const;

function invalid(claim: string, why: string): LicenseError {
  return new LicenseError('KEY_CLAIMS_INVALID', {
    detail: `This license key is signed, but its claim "${claim}" ${why}.`,
    data: { claim },
  });
}

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n);
const isText = (s: unknown): s is string => typeof s === 'string' && s.trim().length > 0 && s.length <= 1000;
const isTextList = (l: unknown): l is string[] => Array.isArray(l) && l.every(isText);

/** Checks every claim's type and the rules between them; throws KEY_CLAIMS_INVALID naming the claim. */
export function validateClaims(payload: unknown): LicensePayload {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalid('payload', 'is not a JSON object');
  }
  const p = payload as Record<string, unknown>;
  if (p.v !== 1) throw invalid('v', 'must be 1');
  if (typeof p.lid !== 'string' || !UUID.test(p.lid)) throw invalid('lid', 'must be a UUID');
  if (!isText(p.sub)) throw invalid('sub', 'must be a non-empty string');
  if (!isText(p.licensee)) throw invalid('licensee', 'must be a non-empty string');
  if (p.email !== undefined && !(typeof p.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(p.email))) {
    throw invalid('email', 'must be an email address');
  }
  if (typeof p.type !== 'string' || !TYPES.includes(p.type)) throw invalid('type', 'must be production, staging or trial');
  if (typeof p.serverId !== 'string') throw invalid('serverId', 'must be a string');
  if (p.serverId === '*') {
    if (p.type !== 'trial') throw invalid('serverId', 'may be "*" only on a trial license');
  } else if (!SERVER_ID_PATTERN.test(p.serverId)) {
    throw invalid('serverId', 'must look like XXXXXXXX-YYYYYYYYYYYYYYYYYYYY');
  }
  if (!isText(p.edition)) throw invalid('edition', 'must be a non-empty string');
  if (!isTextList(p.features)) throw invalid('features', 'must be a list of names');
  if (p.limits === null || typeof p.limits !== 'object' || Array.isArray(p.limits)) throw invalid('limits', 'must be an object');
  const limits = p.limits as Record<string, unknown>;
  for (const [name, value] of Object.entries(limits)) {
    if (name !== 'loc' && name !== 'users') throw invalid(`limits.${name}`, 'is not a known limit');
    if (value !== undefined && !(isInt(value) && value >= 0 && value <= MAX_LIMIT)) {
      throw invalid(`limits.${name}`, 'must be a whole number from 0 to 10^12');
    }
  }
  if (!isTextList(p.tags)) throw invalid('tags', 'must be a list of tags');
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const t = p[claim];
    if (!isInt(t) || t < EARLIEST_TIME || t > LATEST_TIME) {
      throw invalid(claim, 'must be a Unix time in whole seconds between 2000-01-01 and 9999-12-31');
    }
  }
  if ((p.nbf as number) > (p.exp as number)) throw invalid('nbf', 'must not be later than exp');
  if (p.grace !== undefined && !(isInt(p.grace) && p.grace >= 0 && p.grace <= MAX_GRACE_DAYS)) {
    throw invalid('grace', 'must be a whole number of days from 0 to 3650');
  }
  if (p.ext !== undefined) validateExtension(p.ext);
  return p as unknown as LicensePayload;
}

function validateExtension(ext: unknown): void {
  if (ext === null || typeof ext !== 'object' || Array.isArray(ext)) throw invalid('ext', 'must be an object { days, uses }');
  const { days, uses } = ext as Record<string, unknown>;
  if (!(isInt(days) && days >= EXTENSION_DAYS.min && days <= EXTENSION_DAYS.max)) {
    throw invalid('ext.days', `must be a whole number of days from ${EXTENSION_DAYS.min} to ${EXTENSION_DAYS.max}`);
  }
  if (!(isInt(uses) && uses >= EXTENSION_USES.min && uses <= EXTENSION_USES.max)) {
    throw invalid('ext.uses', `must be a whole number from ${EXTENSION_USES.min} to ${EXTENSION_USES.max}`);
  }
}

/** Grace days of a payload, with the default of SPEC 3. */
export function graceDays(payload: Pick<LicensePayload, 'grace'>): number {
  return payload.grace ?? DEFAULT_GRACE_DAYS;
}

/** The end of the grace period (Unix seconds): from then on the key is `expired`. */
export function graceEnd(payload: Pick<LicensePayload, 'exp' | 'grace'>): number {
  return payload.exp + graceDays(payload) * DAY_SECONDS;
}
