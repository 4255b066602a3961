import { parse as parseCookies } from 'cookie';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** Name of the cookie that carries the random half of the double submit. */
export const CSRF_COOKIE = 'lm_csrf';
/** Name of the hidden form field that carries the signed half. */
export const CSRF_FIELD = '_csrf';

const NONCE = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

/**
 * Signed double-submit CSRF tokens, with no session store.
 *
 * The page sets a random nonce in an HttpOnly, SameSite=Strict cookie scoped to the mount path and
 * puts HMAC-SHA256(secret, nonce) in each form. A POST is accepted only when the form's token is
 * the HMAC of the cookie's nonce. Another site can make the browser send the cookie (not with
 * SameSite=Strict, but an old browser might) yet cannot read it, and without the secret nobody
 * can forge a token for a nonce of their own (a cookie planted from a sibling sub-domain gets
 * nowhere either). The secret is the one every node shares through the database (SPEC 15.4), so
 * a form drawn by one node posts to any other, and to the same node after a restart.
 */
export interface Csrf {
  /** The token for this browser's nonce; sets the cookie when there is none yet. */
  issue(req: Request, res: Response): Promise<string>;
  /** true when the request's form token matches its cookie. */
  verify(req: Request): Promise<boolean>;
}

/**
 * `secret` is asked once, by the first request that needs it, and kept; a failed read is tried
 * again on the next request (the database may be back). The manager reads it at start().
 */
export function createCsrf(secret: () => Promise<Buffer>): Csrf {
  let loaded: Promise<Buffer> | undefined;
  const key = (): Promise<Buffer> => {
    loaded ??= Promise.resolve()
      .then(secret)
      .catch((err: unknown) => {
        loaded = undefined;
        throw err;
      });
    return loaded;
  };
  const sign = async (nonce: string) =>
    createHmac('sha256', await key())
      .update(nonce)
      .digest('base64url');
  return {
    async issue(req, res) {
      let nonce = readCookie(req, CSRF_COOKIE);
      if (!nonce || !NONCE.test(nonce)) {
        nonce = randomBytes(32).toString('base64url');
        res.cookie(CSRF_COOKIE, nonce, {
          httpOnly: true,
          sameSite: 'strict',
          secure: req.secure,
          path: req.baseUrl || '/',
        });
      }
      return sign(nonce);
    },
    async verify(req) {
      const nonce = readCookie(req, CSRF_COOKIE);
      const body = req.body as Record<string, unknown> | undefined;
      const token = body && typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined;
      if (!nonce || !NONCE.test(nonce) || !token) return false;
      const expected = Buffer.from(await sign(nonce));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** One cookie's value from the Cookie header (the host may or may not use cookie-parser). */
function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parseCookies(header)[name] : undefined;
}
