/** Portal users in the registry database: add, sign in with the lockout rule, list. */
import { VendorError } from '../errors.js';
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';
import { isLocked, LOCK_MS, MAX_FAILED_LOGINS } from './lockout.js';
import { dialectOf } from 'license-manager/shared';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './passwords.js';
import { isRole, ROLES, type Role } from './permissions.js';

export interface PortalUser {
  name: string;
  role: Role;
  createdAt: Date;
}

interface UserRow {
  id: number;
  name: string;
  role: string;
  password_hash: string;
  failed_logins: number;
  locked_until: number | string | null;
  created_at: number | string;
  sso_subject?: string | null;
}

const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;
export const MIN_PASSWORD_LENGTH = 12;

const toUser = (r: UserRow): PortalUser => ({ name: r.name, role: r.role as Role, createdAt: new Date(Number(r.created_at)) });
const fail = (detail: string) => new LicenseError('VALIDATION_FAILED', { detail });

export const userMessages = {
  nameInvalid: () => 'A user name is 1 to 64 letters, digits, ".", "_", "@" or "-".',
  roleInvalid: (role: string) => `The role "${role}" is not one of ${ROLES.join(', ')}.`,
  passwordShort: () => `A password has at least ${MIN_PASSWORD_LENGTH} characters.`,
  nameTaken: (name: string) => `There is already a user named ${name}.`,
  ssoNameTaken: (name: string) =>
    `A portal user named ${name} already signs in with a password, so single sign-on cannot take that name: ask an admin to remove or rename that user.`,
  locked: (minutes: number) => `Too many failed sign-ins: this name is locked; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
};

let dummy: Promise<string> | undefined;

export interface Users {
  add(o: { name: string; role: string; password: string }, now: Date): Promise<PortalUser>;
  find(name: string): Promise<PortalUser | undefined>;
  list(): Promise<PortalUser[]>;
  /**
   * The user a single sign-on identity is (created at the first sign-in), with the role its groups
   * give now; SSO_FAILED when a password user already has the name.
   */
  signInSso(o: { subject: string; name: string; role: Role }, now: Date): Promise<PortalUser>;
  /** The user, or LOGIN_FAILED / LOGIN_LOCKED; counts failures against the name. */
  signIn(name: string, password: string, now: Date): Promise<PortalUser>;
}

export function portalUsers(db: Knex): Users {
  const row = (name: string) => db<UserRow>('vendor_users').where({ name }).first();
  return {
    async add(o, now) {
      const name = typeof o.name === 'string' ? o.name.trim() : '';
      if (!NAME.test(name)) throw fail(userMessages.nameInvalid());
      if (!isRole(o.role)) throw fail(userMessages.roleInvalid(String(o.role)));
      if (typeof o.password !== 'string' || [...o.password].length < MIN_PASSWORD_LENGTH) throw fail(userMessages.passwordShort());
      if (await row(name)) throw fail(userMessages.nameTaken(name));
      const hash = await hashPassword(o.password);
      try {
        await db('vendor_users').insert({ name, role: o.role, password_hash: hash, failed_logins: 0, locked_until: null, created_at: now.getTime() });
      } catch (err) {
        if (await row(name)) throw fail(userMessages.nameTaken(name));
        throw err;
      }
      return toUser((await row(name))!);
    },

    find: async (name) => {
      const r = typeof name === 'string' ? await row(name) : undefined;
      return r ? toUser(r) : undefined;
    },

    list: async () => (await db<UserRow>('vendor_users').orderBy('name')).map(toUser),

    async signInSso(o, now) {
      const known = await db<UserRow>('vendor_users').where({ sso_subject: o.subject }).first();
      if (known) {
        if (known.role !== o.role) await db('vendor_users').where({ id: known.id }).update({ role: o.role });
        return toUser({ ...known, role: o.role });
      }
      const name = [...o.name.normalize('NFC').replace(/[^\p{L}\p{N}._@-]/gu, '_')].slice(0, 64).join('') || 'user';
      if (await row(name)) throw new VendorError('SSO_FAILED', { detail: userMessages.ssoNameTaken(name) });
      // NOTE: no password: '!sso' is no scrypt hash, so the password form never signs this user in.
      await db('vendor_users').insert({
        name,
        role: o.role,
        password_hash: '!sso',
        failed_logins: 0,
        locked_until: null,
        created_at: now.getTime(),
        sso_subject: o.subject,
      });
      return toUser((await row(name))!);
    },

    async signIn(name, password, now) {
      const r = typeof name === 'string' && name.length <= 64 ? await row(name.trim()) : undefined;
      if (!r) {
        // NOTE: an unknown name costs the same scrypt as a known one, so timing does not tell names apart.
        dummy ??= DUMMY_HASH_PROMISE();
        await verifyPassword(String(password), await dummy);
        throw new VendorError('LOGIN_FAILED');
      }
      // NOTE: the attempt is counted before the password is checked, in a transaction that locks
      // the user's row (SPEC 21): guesses sent in parallel each take their own number, so the
      // eleventh is refused unchecked and the tenth wrong one locks the name, whatever the timing.
      const attempt = await reserveAttempt(db, r.id, now);
      if (attempt.locked) {
        const minutes = Math.max(1, Math.ceil((attempt.locked.getTime() - now.getTime()) / 60_000));
        throw new VendorError('LOGIN_LOCKED', { detail: userMessages.locked(minutes), data: { lockMinutes: LOCK_MS / 60_000 } });
      }
      if (typeof password === 'string' && (await verifyPassword(password, r.password_hash))) {
        await db('vendor_users').where({ id: r.id }).update({ failed_logins: 0, locked_until: null });
        return toUser(r);
      }
      if (attempt.number >= MAX_FAILED_LOGINS) {
        await db('vendor_users')
          .where({ id: r.id })
          .update({ failed_logins: 0, locked_until: now.getTime() + LOCK_MS });
        throw new VendorError('LOGIN_LOCKED', { detail: userMessages.locked(LOCK_MS / 60_000), data: { lockMinutes: LOCK_MS / 60_000 } });
      }
      throw new VendorError('LOGIN_FAILED');
    },
  };
}

/**
 * Takes the next attempt number of a user's sign-ins, or says the name is locked: one row-locked
 * transaction, so attempts made at once are numbered one after the other, each counted as a
 * failure until its password proves right. An attempt past the last allowed one locks the name
 * and is refused without checking its password.
 */
async function reserveAttempt(db: Knex, id: number, now: Date): Promise<{ number: number; locked: Date | null }> {
  return db.transaction(async (trx) => {
    const [row] = (await dialectOf(trx).forUpdate(trx('vendor_users').where({ id }).select('failed_logins', 'locked_until'))) as Array<
      Pick<UserRow, 'failed_logins' | 'locked_until'>
    >;
    const counters = { failedLogins: Number(row!.failed_logins), lockedUntil: row!.locked_until === null ? null : new Date(Number(row!.locked_until)) };
    if (isLocked(counters, now)) return { number: 0, locked: counters.lockedUntil };
    // a lock that is over starts the count again
    const number = (counters.lockedUntil === null ? counters.failedLogins : 0) + 1;
    const locked = number > MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCK_MS) : null;
    await trx('vendor_users')
      .where({ id })
      .update({ failed_logins: locked ? 0 : number, locked_until: locked?.getTime() ?? null });
    return { number, locked };
  });
}
