import { emergencyText } from '../announce.js';
import { currentUser, field, numberField, type PortalRoute } from '../context.js';
import { formError, page } from '../page.js';
import { LicenseError } from 'license-manager/formats';

/**
 * The support rota's emergency form (SPEC 11, 19): account, users, requester email, ticket. A
 * refusal says which rule failed, in words; a granted key is shown, mailed and posted once.
 */
export const emergencyRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/emergency',
    permission: 'emergency.issue',
    async handle(req, res, deps) {
      await page(req, res, deps, 'emergency', { title: 'Emergency license' });
    },
  },
  {
    method: 'post',
    path: '/emergency',
    permission: 'emergency.issue',
    async handle(req, res, deps) {
      const values = { account: field(req, 'account'), users: field(req, 'users'), email: field(req, 'email'), ticket: field(req, 'ticket') };
      try {
        const users = numberField(req, 'users');
        if (field(req, 'intent') === 'preview') {
          // issue 23.1: what the key will turn on, before it is issued (or why there is nothing to restore)
          const preview = await deps.registry.emergencyPreview({
            account: values.account,
            users: users === undefined || Number.isNaN(users) ? undefined : users,
          });
          await page(req, res, deps, 'emergency', { title: 'Emergency license', values, preview });
          return;
        }
        if (users === undefined || Number.isNaN(users)) throw new LicenseError('VALIDATION_FAILED', { detail: 'Users must be a whole number of 1 or more.' });
        const result = await deps.registry.emergency({
          privateJwk: deps.privateJwk,
          account: values.account,
          users,
          email: values.email,
          issuedBy: currentUser(res).name,
          ticket: values.ticket,
          mailer: deps.mail,
        });
        await deps.announce({ dedupeKey: `emergency_issued:${result.license.lid}`, text: emergencyText(result.license, result.emailed, deps.publicUrl(req)) });
        await page(req, res, deps, 'emergency', { title: 'Emergency license', values: {}, result });
      } catch (err) {
        const error = formError(err);
        await page(req, res, deps, 'emergency', { title: 'Emergency license', values, error }, error.status);
      }
    },
  },
];
