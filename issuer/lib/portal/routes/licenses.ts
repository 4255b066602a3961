import type { Request, Response } from 'express';
import { LicenseError } from 'license-manager/formats';
import { email } from '../../registry/validate.js';
import { licenseStatus } from '../../registry/admin.js';
import type { IssueRequest } from '../../registry/types.js';
import { issuedKeyMail, issuedText } from '../announce.js';
import { currentUser, field, listField, numberField, type PortalDeps, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash } from '../page.js';
import { limitField } from './subscriptions.js';

const enc = encodeURIComponent;

/** The generate form's fields as typed, kept through preview and errors. */
function formValues(req: Request) {
  return {
    type: field(req, 'type') || 'production',
    serverId: field(req, 'serverId'),
    features: field(req, 'features'),
    tags: field(req, 'tags'),
    users: field(req, 'users'),
    loc: field(req, 'loc'),
    expires: field(req, 'expires'),
    opportunityId: field(req, 'opportunityId'),
    extensionDays: field(req, 'extensionDays'),
    extensionUses: field(req, 'extensionUses'),
  };
}

/** SPEC 22: the form's "Self-service extension" fields; both empty for none, uses 1 unless given. */
function extensionField(req: Request): IssueRequest['extension'] {
  const days = numberField(req, 'extensionDays');
  const uses = numberField(req, 'extensionUses');
  if (Number.isNaN(days) || Number.isNaN(uses))
    throw new LicenseError('VALIDATION_FAILED', { detail: 'Days per extension and Number of extensions are whole numbers (or empty for none).' });
  if (days === undefined) {
    if (uses !== undefined)
      throw new LicenseError('VALIDATION_FAILED', { detail: 'Give the days per extension too, or leave both self-service extension fields empty.' });
    return null;
  }
  return { days, uses: uses ?? 1 };
}

function issueRequest(req: Request, subscription: string): Omit<IssueRequest, 'privateJwk'> {
  const type = field(req, 'type') || 'production';
  if (type !== 'production' && type !== 'staging') throw new LicenseError('VALIDATION_FAILED', { detail: 'Type is production or staging.' });
  return {
    subscription,
    type,
    serverId: field(req, 'serverId'),
    features: listField(req, 'features'),
    tags: listField(req, 'tags'),
    users: limitField(req, 'users', 'Users') ?? null,
    loc: limitField(req, 'loc', 'Lines of code') ?? null,
    expires: field(req, 'expires') || undefined,
    opportunityId: field(req, 'opportunityId') || undefined,
    extension: extensionField(req),
  };
}

async function generatePage(req: Request, res: Response, deps: PortalDeps, values: Record<string, string>, extra: Record<string, unknown> = {}, status = 200) {
  const subscription = await deps.registry.getSubscription(String(req.params.id));
  const account = await deps.registry.getCustomer(subscription.account);
  await page(req, res, deps, 'generate', { title: 'Generate license', subscription, account, values, ...extra }, status);
}

export const licenseRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/subscriptions/:id/generate',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      const sub = await deps.registry.getSubscription(String(req.params.id));
      // NOTE: users, LOC and expiry start as the subscription's; the instance is typed in.
      await generatePage(req, res, deps, {
        type: 'production',
        serverId: '',
        features: '',
        tags: '',
        users: sub.users === null ? '' : String(sub.users),
        loc: sub.loc === null ? '' : String(sub.loc),
        expires: sub.ends,
        opportunityId: '',
        extensionDays: '',
        extensionUses: '',
      });
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/preview',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      const values = formValues(req);
      if (field(req, 'edit') === '1') return generatePage(req, res, deps, values);
      try {
        const payload = await deps.registry.preview(issueRequest(req, String(req.params.id)));
        const subscription = await deps.registry.getSubscription(String(req.params.id));
        const account = await deps.registry.getCustomer(subscription.account);
        await page(req, res, deps, 'preview', { title: 'Preview license', subscription, account, payload, values });
      } catch (err) {
        const error = formError(err);
        await generatePage(req, res, deps, values, { error }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/issue',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      const values = formValues(req);
      const id = String(req.params.id);
      const user = currentUser(res).name;
      try {
        const request = issueRequest(req, id);
        const sub = await deps.registry.getSubscription(id);
        const account = await deps.registry.getCustomer(sub.account);
        if (account.prospect) {
          await deps.registry.requestLicense({ ...request, requestedBy: user });
          await redirectWithFlash(req, res, '/approvals', `${account.name} is a prospect: the key waits for a sales approval.`);
          return;
        }
        const license = await deps.registry.issue({ ...request, privateJwk: deps.privateJwk, issuedBy: user });
        await deps.announce({ dedupeKey: `license_issued:${license.lid}`, text: issuedText(license, deps.publicUrl(req)) });
        await redirectWithFlash(req, res, `/licenses/${enc(license.lid)}`, 'The license is issued.');
      } catch (err) {
        const error = formError(err);
        await generatePage(req, res, deps, values, { error }, error.status);
      }
    },
  },
  {
    method: 'get',
    path: '/licenses',
    permission: 'read',
    async handle(req, res, deps) {
      const licenses = await deps.registry.licenses({ limit: 200 });
      await page(req, res, deps, 'licenses', { title: 'Licenses', licenses, now: deps.now(), statusOf: licenseStatus });
    },
  },
  {
    method: 'get',
    path: '/licenses/:lid',
    permission: 'read',
    async handle(req, res, deps) {
      await licensePage(req, res, deps, String(req.params.lid));
    },
  },
  {
    method: 'get',
    path: '/licenses/:lid/download',
    permission: 'read',
    async handle(req, res, deps) {
      const license = await deps.registry.getLicense(String(req.params.lid));
      res.attachment(`license-${license.lid}.key`).type('text/plain; charset=utf-8').send(`${license.key}\n`);
    },
  },
  {
    method: 'post',
    path: '/licenses/:lid/email',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      const lid = String(req.params.lid);
      const mailFailed = (message: string) => ({ code: 'MAIL_FAILED', message, status: 502 });
      let error;
      try {
        const license = await deps.registry.getLicense(lid);
        const to = email(field(req, 'email'));
        if (!deps.mail) {
          error = mailFailed('No mail server is configured for the portal (--smtp URL or SMTP_URL).');
        } else {
          try {
            await deps.mail.send(issuedKeyMail(to, license));
            await deps.registry.recordEvent({
              actor: currentUser(res).name,
              action: 'license_emailed',
              account: license.account,
              subscription: license.subscription,
              detail: { lid },
            });
            await redirectWithFlash(req, res, `/licenses/${enc(lid)}`, 'The key is emailed to the customer.');
            return;
          } catch {
            error = mailFailed('The mail server did not accept the message; try again, or download the key and send it by hand.');
          }
        }
      } catch (err) {
        error = formError(err);
      }
      await licensePage(req, res, deps, lid, { emailError: error, emailValue: field(req, 'email') }, error.status);
    },
  },
  {
    method: 'post',
    path: '/licenses/:lid/revoke',
    permission: 'licenses.revoke',
    async handle(req, res, deps) {
      const lid = String(req.params.lid);
      try {
        await deps.registry.revoke({ lid, reason: field(req, 'reason'), issuedBy: currentUser(res).name });
        await redirectWithFlash(req, res, `/licenses/${enc(lid)}`, 'The license is revoked.');
      } catch (err) {
        const error = formError(err);
        await licensePage(req, res, deps, lid, { revokeError: error }, error.status);
      }
    },
  },
  {
    method: 'get',
    path: '/approvals',
    permission: 'read',
    async handle(req, res, deps) {
      const requests = await deps.registry.licenseRequests({ limit: 200 });
      await page(req, res, deps, 'approvals', { title: 'Approvals', requests });
    },
  },
  {
    method: 'post',
    path: '/approvals/:id/approve',
    permission: 'licenses.approve',
    async handle(req, res, deps) {
      try {
        const license = await deps.registry.approveLicense({ id: String(req.params.id), approvedBy: currentUser(res).name, privateJwk: deps.privateJwk });
        await deps.announce({ dedupeKey: `license_issued:${license.lid}`, text: issuedText(license, deps.publicUrl(req)) });
        await redirectWithFlash(req, res, `/licenses/${enc(license.lid)}`, 'Approved: the license is issued.');
      } catch (err) {
        const error = formError(err);
        const requests = await deps.registry.licenseRequests({ limit: 200 });
        await page(req, res, deps, 'approvals', { title: 'Approvals', requests, error }, error.status);
      }
    },
  },
];

async function licensePage(req: Request, res: Response, deps: PortalDeps, lid: string, extra: Record<string, unknown> = {}, status = 200) {
  const license = await deps.registry.getLicense(lid);
  await page(req, res, deps, 'license', { title: `License ${lid}`, license, status: licenseStatus(license, deps.now()), ...extra }, status);
}
