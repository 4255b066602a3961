import type { Request, Response } from 'express';
import { apiTokens } from '../../api/tokens.js';
import { ssoGroups } from '../../sso/groups.js';
import { currentUser, field, type PortalDeps, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash } from '../page.js';
import { ROLES } from '../permissions.js';

/** The API tokens and the single sign-on map (SPEC 23): one admin page. */
async function accessPage(req: Request, res: Response, deps: PortalDeps, extra: Record<string, unknown> = {}, status = 200) {
  const [tokens, groups] = await Promise.all([apiTokens(deps.registry.db).list(), ssoGroups(deps.registry.db).list()]);
  await page(req, res, deps, 'access', { title: 'API tokens and single sign-on', tokens, groups, roles: ROLES, sso: Boolean(deps.oidc), ...extra }, status);
}

export const accessRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/access',
    permission: 'users.manage',
    handle: (req, res, deps) => accessPage(req, res, deps),
  },
  {
    method: 'post',
    path: '/access/tokens',
    permission: 'users.manage',
    async handle(req, res, deps) {
      const values = { name: field(req, 'name'), role: field(req, 'role') };
      const actor = currentUser(res).name;
      try {
        const { token, secret } = await apiTokens(deps.registry.db).add({ ...values, createdBy: actor }, deps.now());
        await deps.registry.recordEvent({ actor, action: 'api_token_added', detail: { name: token.name, role: token.role } });
        // NOTE: the secret goes into this answer only (no flash: that would keep it in the session store).
        await accessPage(req, res, deps, { made: { name: token.name, role: token.role, secret } });
      } catch (err) {
        const error = formError(err);
        await accessPage(req, res, deps, { tokenError: error, tokenValues: values }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/access/tokens/revoke',
    permission: 'users.manage',
    async handle(req, res, deps) {
      const actor = currentUser(res).name;
      try {
        const token = await apiTokens(deps.registry.db).revoke({ name: field(req, 'name'), revokedBy: actor }, deps.now());
        await deps.registry.recordEvent({ actor, action: 'api_token_revoked', detail: { name: token.name } });
        await redirectWithFlash(req, res, '/access', `The API token ${token.name} is revoked.`);
      } catch (err) {
        const error = formError(err);
        await accessPage(req, res, deps, { tokenError: error }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/access/sso',
    permission: 'users.manage',
    async handle(req, res, deps) {
      const values = { group: field(req, 'group'), role: field(req, 'role') };
      const actor = currentUser(res).name;
      try {
        const m = await ssoGroups(deps.registry.db).map({ ...values, setBy: actor }, deps.now());
        await deps.registry.recordEvent({ actor, action: 'sso_group_mapped', detail: { group: m.group, role: m.role } });
        await redirectWithFlash(req, res, '/access', `People in ${m.group} sign in as ${m.role} from their next sign-in.`);
      } catch (err) {
        const error = formError(err);
        await accessPage(req, res, deps, { ssoError: error, ssoValues: values }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/access/sso/unmap',
    permission: 'users.manage',
    async handle(req, res, deps) {
      const group = field(req, 'group');
      const actor = currentUser(res).name;
      try {
        await ssoGroups(deps.registry.db).unmap(group);
        await deps.registry.recordEvent({ actor, action: 'sso_group_unmapped', detail: { group } });
        await redirectWithFlash(req, res, '/access', `${group} no longer gives a role.`);
      } catch (err) {
        const error = formError(err);
        await accessPage(req, res, deps, { ssoError: error }, error.status);
      }
    },
  },
];
