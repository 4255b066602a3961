/**
 * API tokens (SPEC 23): a role each, printed once, stored as the SHA-256 of the secret (the
 * secret is 256 random bits, so a fast hash is enough: there is nothing to guess), revocable,
 * last use recorded. A token acts under its name: `token:NAME` in the audit log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { isRole, ROLES, type Role } from '../portal/permissions.js';

export interface ApiToken {
  name: string;
  role: Role;
  /** The token's first characters, enough to tell two tokens apart; never the secret. */
  hint: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

interface TokenRow {
  id: number;
  name: string;
  role: string;
  token_hash: string;
  hint: string;
  created_by: string;
  created_at: number | string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
  revoked_by: string | null;
}

const PREFIX = 'lmv_';
const NAME = /^[\p{L}\p{N}._-]{1,64}$/u;
const date = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
const toToken = (r: TokenRow): ApiToken => ({
  name: r.name,
  role: r.role as Role,
  hint: r.hint,
  createdBy: r.created_by,
  createdAt: new Date(Number(r.created_at)),
  lastUsedAt: date(r.last_used_at),
  revokedAt: date(r.revoked_at),
  revokedBy: r.revoked_by,
});
const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const fail = (detail: string) => new LicenseError('VALIDATION_FAILED', { detail });

export const tokenMessages = {
  nameInvalid: () => 'A token name is 1 to 64 letters, digits, ".", "_" or "-".',
  roleInvalid: (role: string) => `The role "${role}" is not one of ${ROLES.join(', ')}.`,
  nameTaken: (name: string) => `There is already a token named ${name}; revoke it or pick another name.`,
  unknown: (name: string) => `There is no token named ${name}.`,
};

/** Whom an audited write by a token is recorded as. */
export const tokenActor = (name: string) => `token:${name}`;

/** How often a token's last use is written at most: every request would be one write per read. */
const LAST_USE_RESOLUTION_MS = 60_000;

export interface ApiTokens {
  /** Makes a token; `secret` is shown once and never stored. */
  add(o: { name: string; role: string; createdBy: string }, now: Date): Promise<{ token: ApiToken; secret: string }>;
  /** The live token the secret belongs to (its last use updated), or undefined. */
  authenticate(secret: string, now: Date): Promise<ApiToken | undefined>;
  list(): Promise<ApiToken[]>;
  /** Revokes it; revoking a revoked token keeps the first revocation. */
  revoke(o: { name: string; revokedBy: string }, now: Date): Promise<ApiToken>;
}

export function apiTokens(db: Knex): ApiTokens {
  const byName = (name: string) => db<TokenRow>('vendor_api_tokens').where({ name }).first();
  return {
    async add(o, now) {
      const name = typeof o.name === 'string' ? o.name.trim() : '';
      if (!NAME.test(name)) throw fail(tokenMessages.nameInvalid());
      if (!isRole(o.role)) throw fail(tokenMessages.roleInvalid(String(o.role)));
      if (await byName(name)) throw fail(tokenMessages.nameTaken(name));
      const secret = PREFIX + randomBytes(32).toString('base64url');
      try {
        await db('vendor_api_tokens').insert({
          name,
          role: o.role,
          token_hash: sha256(secret),
          hint: secret.slice(0, PREFIX.length + 4),
          created_by: o.createdBy,
          created_at: now.getTime(),
          last_used_at: null,
          revoked_at: null,
          revoked_by: null,
        });
      } catch (err) {
        if (await byName(name)) throw fail(tokenMessages.nameTaken(name));
        throw err;
      }
      return { token: toToken((await byName(name))!), secret };
    },

    async authenticate(secret, now) {
      if (typeof secret !== 'string' || !secret.startsWith(PREFIX) || secret.length > 100) return undefined;
      const hash = sha256(secret);
      const row = await db<TokenRow>('vendor_api_tokens').where({ token_hash: hash }).first();
      // NOTE: the lookup is by hash, so its timing says nothing about the secret; the compare is belt and braces.
      if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash)) || row.revoked_at !== null) return undefined;
      if (row.last_used_at === null || now.getTime() - Number(row.last_used_at) >= LAST_USE_RESOLUTION_MS) {
        await db('vendor_api_tokens').where({ id: row.id }).update({ last_used_at: now.getTime() });
        row.last_used_at = now.getTime();
      }
      return toToken(row);
    },

    list: async () => (await db<TokenRow>('vendor_api_tokens').orderBy('name')).map(toToken),

    async revoke(o, now) {
      const row = typeof o.name === 'string' ? await byName(o.name.trim()) : undefined;
      if (!row) throw fail(tokenMessages.unknown(String(o.name)));
      if (row.revoked_at === null) await db('vendor_api_tokens').where({ id: row.id }).update({ revoked_at: now.getTime(), revoked_by: o.revokedBy });
      return toToken((await byName(row.name))!);
    },
  };
}
