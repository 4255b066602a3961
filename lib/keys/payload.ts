import { randomUUID } from 'node:crypto';
import type { LicensePayload, LicenseType } from './claims.js';

export interface IssueOptions {
  serverId: string;
  licensee: string;
  type: LicenseType;
  /** Last day the key is valid, `YYYY-MM-DD`; `exp` is the following midnight UTC. */
  expires: string;
  sub?: string;
  email?: string;
  edition?: string;
  features?: string[];
  loc?: number;
  users?: number;
  tags?: string[];
  grace?: number;
  /** SPEC 22: the self-service extension the key allows (the `ext` claim); none when absent */
  extension?: { days: number; uses: number };
  now: Date;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Unix seconds of the midnight UTC that ends the day `YYYY-MM-DD`, or a TypeError. */
export function endOfDayUtc(day: string): number {
  const m = DAY.exec(day);
  const start = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!start || start.toISOString().slice(0, 10) !== day) {
    throw new TypeError(`"${day}" is not a date of the form YYYY-MM-DD.`);
  }
  return start.getTime() / 1000 + 86_400;
}

/** A license payload with SPEC 10's defaults: edition enterprise, no features, no limits, iat = nbf = now. */
export function buildPayload(o: IssueOptions): LicensePayload {
  const now = Math.floor(o.now.getTime() / 1000);
  const limits: LicensePayload['limits'] = {};
  if (o.loc !== undefined) limits.loc = o.loc;
  if (o.users !== undefined) limits.users = o.users;
  const payload: LicensePayload = {
    v: 1,
    lid: randomUUID(),
    sub: o.sub ?? randomUUID(),
    licensee: o.licensee,
    serverId: o.serverId,
    type: o.type,
    edition: o.edition ?? 'enterprise',
    features: o.features ?? [],
    limits,
    tags: o.tags ?? [],
    iat: now,
    nbf: now,
    exp: endOfDayUtc(o.expires),
  };
  if (o.email !== undefined) payload.email = o.email;
  if (o.grace !== undefined) payload.grace = o.grace;
  if (o.extension !== undefined) payload.ext = { days: o.extension.days, uses: o.extension.uses };
  return payload;
}
