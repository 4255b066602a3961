import type { Request, Response } from 'express';
import { LicenseError } from 'license-manager/formats';
import { moveText } from '../announce.js';
import { currentUser, field, numberField, type PortalDeps, type PortalRoute } from '../context.js';
import { formError, page, redirectWithFlash, type FormError } from '../page.js';
import type { MoveImport } from '../../registry/moves.js';
import { subscriptionPage } from './subscriptions.js';

const enc = encodeURIComponent;

/** The Moves page (SPEC 22): moves waiting for an engineer first, then the latest, and the import form. */
async function movesPage(req: Request, res: Response, deps: PortalDeps, extra: { error?: FormError; request?: string } = {}, status = 200) {
  const [waiting, recent] = await Promise.all([deps.registry.moves({ status: 'waiting', limit: 200 }), deps.registry.moves({ limit: 50 })]);
  await page(req, res, deps, 'moves', { title: 'Moves', waiting, recent: recent.filter((m) => m.status !== 'waiting'), request: '', ...extra }, status);
}

/** After a move is issued: the key's page (copy, download, email); after it waits: the Moves page. */
async function done(req: Request, res: Response, deps: PortalDeps, r: MoveImport, approved: boolean): Promise<void> {
  const { move } = r;
  if (!r.duplicate) {
    await deps.announce({
      dedupeKey: `${approved ? 'move_approved' : move.status === 'issued' ? 'move_issued' : 'move_waiting'}:${move.id}`,
      text: moveText(move, approved, deps.publicUrl(req)),
    });
  }
  if (move.lid) {
    const how = r.duplicate ? 'This move request was already imported' : approved ? 'Move approved' : 'Move within the budget';
    return redirectWithFlash(req, res, `/licenses/${enc(move.lid)}`, `${how}: the key for ${move.newServerId} is issued. Send it to the customer.`);
  }
  await redirectWithFlash(
    req,
    res,
    '/moves',
    r.duplicate ? 'This move request was already imported: it waits for an engineer.' : `The move waits for an engineer: ${move.whyWaiting}`,
  );
}

export const moveRoutes: PortalRoute[] = [
  {
    method: 'get',
    path: '/moves',
    permission: 'read',
    async handle(req, res, deps) {
      await movesPage(req, res, deps);
    },
  },
  {
    method: 'post',
    path: '/moves/import',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      const request = field(req, 'request');
      try {
        if (!request)
          throw new LicenseError('VALIDATION_FAILED', {
            detail: 'Paste the move request (the text of the .jws file the customer sent).',
            data: { field: 'request' },
          });
        const r = await deps.registry.importMove({ text: request, privateJwk: deps.privateJwk, importedBy: currentUser(res).name });
        await done(req, res, deps, r, false);
      } catch (err) {
        const error = formError(err);
        await movesPage(req, res, deps, { error, request }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/moves/:id/approve',
    permission: 'licenses.issue',
    async handle(req, res, deps) {
      try {
        const r = await deps.registry.approveMove({ id: String(req.params.id), approvedBy: currentUser(res).name, privateJwk: deps.privateJwk });
        await done(req, res, deps, r, true);
      } catch (err) {
        const error = formError(err);
        await movesPage(req, res, deps, { error }, error.status);
      }
    },
  },
  {
    method: 'post',
    path: '/subscriptions/:id/move-budget',
    permission: 'customers.write',
    async handle(req, res, deps) {
      const id = String(req.params.id);
      try {
        const n = numberField(req, 'moveBudget');
        if (n === undefined || Number.isNaN(n))
          throw new LicenseError('VALIDATION_FAILED', { detail: 'Moves a year is a whole number, 0 to 100.', data: { field: 'moveBudget' } });
        await deps.registry.setMoveBudget({ subscription: id, perYear: n, actor: currentUser(res).name });
        await redirectWithFlash(req, res, `/subscriptions/${enc(id)}`, `Moves a year without review: ${n}.`);
      } catch (err) {
        const error = formError(err);
        await subscriptionPage(req, res, deps, id, { moveBudgetError: error }, error.status);
      }
    },
  },
];
