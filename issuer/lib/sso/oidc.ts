/**
 * OpenID Connect sign-in for the portal (SPEC 23) through openid-client: authorization code with
 * PKCE (S256), state and nonce kept in the session and checked by the library at the callback.
 * The person's role comes from their groups (the role claim, default `groups`, from the ID token
 * or else the userinfo endpoint) through the registry's group map, at every sign-in.
 */
import * as client from 'openid-client';
import type { Request } from 'express';

export interface OidcOptions {
  /** The identity provider's issuer URL (its discovery document is read at the first sign-in). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The claim that lists the person's groups; default `groups`. */
  roleClaim?: string;
  /** Scopes asked for; default `openid profile email` plus the role claim's name. */
  scope?: string;
}

export interface OidcPending {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
}

export interface OidcIdentity {
  /** `issuer|sub`: who this is, whatever their name becomes. */
  subject: string;
  /** preferred_username, else email, else sub. */
  name: string;
  groups: string[];
}

export interface Oidc {
  /** The provider's authorization URL for a new sign-in, and what the callback must check. */
  start(redirectUri: string, next: string): Promise<{ url: string; pending: OidcPending }>;
  /** Exchanges the code (PKCE, state, nonce checked) and reads who signed in. Throws when anything is off. */
  finish(currentUrl: URL, pending: OidcPending): Promise<OidcIdentity>;
}

export function createOidc(o: OidcOptions): Oidc {
  if (!o || !/^https?:\/\//.test(o.issuer ?? '')) throw new TypeError("oidc.issuer must be the identity provider's http:// or https:// URL.");
  if (typeof o.clientId !== 'string' || !o.clientId) throw new TypeError('oidc.clientId is required.');
  if (typeof o.clientSecret !== 'string' || !o.clientSecret) throw new TypeError('oidc.clientSecret is required.');
  const roleClaim = o.roleClaim ?? 'groups';
  const scope = o.scope ?? `openid profile email ${roleClaim}`;
  let config: Promise<client.Configuration> | undefined;
  // NOTE: discovery at first use, not at start: the portal (and password sign-in) runs while the provider is down; a failure is retried next time.
  const configuration = () =>
    (config ??= client
      .discovery(new URL(o.issuer), o.clientId, o.clientSecret, undefined, {
        // plain http only for a provider on this machine (tests, a local provider)
        execute: /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(o.issuer) ? [client.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      }));

  return {
    async start(redirectUri, next) {
      const c = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const pending = { verifier, state: client.randomState(), nonce: client.randomNonce(), next };
      const url = client.buildAuthorizationUrl(c, {
        redirect_uri: redirectUri,
        scope,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.href, pending };
    },

    async finish(currentUrl, pending) {
      const c = await configuration();
      const tokens = await client.authorizationCodeGrant(c, currentUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      let groupsClaim: unknown = claims[roleClaim];
      let info: Record<string, unknown> = {};
      if (groupsClaim === undefined) {
        info = await client.fetchUserInfo(c, tokens.access_token, claims.sub);
        groupsClaim = info[roleClaim];
      }
      const groups = Array.isArray(groupsClaim)
        ? groupsClaim.filter((g): g is string => typeof g === 'string')
        : typeof groupsClaim === 'string'
          ? [groupsClaim]
          : [];
      const name = [claims.preferred_username, info.preferred_username, claims.email, info.email, claims.sub].find(
        (v): v is string => typeof v === 'string' && v.length > 0,
      )!;
      return { subject: `${claims.iss}|${claims.sub}`, name, groups };
    },
  };
}

/** The callback URL as this request reached the portal. */
export function callbackUrl(base: string): string {
  return `${base}/auth/oidc/callback`;
}

export type { Request };
