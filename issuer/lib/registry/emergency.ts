import { randomUUID } from 'node:crypto';
import type { LicensePayload } from 'license-manager/formats';

/** The one duration of an emergency license: exactly 10 days. Deliberately not an option anywhere. */
export const EMERGENCY_DURATION_SECONDS = 864_000;
export const EMERGENCY_LICENSEE = 'Emergency license';

/**
 * The payload of a 10-day emergency license (SPEC 11): `type: "trial"`, `serverId: "*"` so it
 * works on whichever instance is down, generic licensee, the given user count, `exp` exactly
 * 10 days after `iat`, `grace: 0`. Edition, features and the lines-of-code limit come from the
 * account's last production license of a paid subscription (issue 23.1), so service comes back as it was; the tag `emergency` lets instances and support tell it apart.
 */
export function buildEmergencyPayload(o: {
  users: number;
  sub: string;
  edition: string;
  features: readonly string[];
  loc?: number;
  now: Date;
}): LicensePayload {
  const iat = Math.floor(o.now.getTime() / 1000);
  return {
    v: 1,
    lid: randomUUID(),
    sub: o.sub,
    licensee: EMERGENCY_LICENSEE,
    serverId: '*',
    type: 'trial',
    edition: o.edition,
    features: [...o.features],
    limits: o.loc === undefined ? { users: o.users } : { users: o.users, loc: o.loc },
    tags: ['emergency'],
    iat,
    nbf: iat,
    exp: iat + EMERGENCY_DURATION_SECONDS,
    grace: 0,
  };
}
