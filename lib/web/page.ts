import { Router, type Request, type Response } from 'express';
import { isLicenseError, LicenseError } from '../errors.js';
import type { Logger } from '../host.js';
import type { WebPort } from './port.js';
import { formBody } from './body.js';
import type { Csrf } from './csrf.js';
import { pageModel, type PageContext, type PageData } from './page-model.js';
import { PAGE_CSP } from './guard.js';
import { renderPage } from './render.js';
import { applyKey } from './apply-key.js';
import { keyFrom, lidFrom, percentFrom, useFrom } from './validate.js';
import { keyForm, largeForm } from './multipart.js';
import { MAX_REVOCATIONS_BYTES } from '../revocations/verify.js';
import { previewModel } from './preview-model.js';
import { formatDay, lastValidDay } from '../license/dates.js';
import { isUsable } from '../license/evaluate.js';
import type { LicenseStatus, StoredKey } from '../license/types.js';
import { listFrom, reasonFrom, sendMoveRequest } from './offline.js';
import { cursorFrom, encodeCursor, readId } from './cursor.js';
import { PAGE_SIZES, pageOf, trimPage } from './paging.js';

/** a revocation list (up to 100,000 keys, SPEC 21) and the form's other fields */
const MAX_REVOCATIONS_FORM_BYTES = MAX_REVOCATIONS_BYTES + 64 * 1024;

type Forms = PageContext['forms'] & { flash?: PageContext['flash'] };

/** The addresses forms post to; a GET of one redirects to the page. */
const FORM_PATHS = [
  '/license',
  '/license/preview',
  '/license/extend',
  '/keys/activate',
  '/keys/retire',
  '/loc-threshold',
  '/test-email',
  '/revocations',
  '/move-request',
];

/** The key of the Set new license form: an uploaded `.key`/`.txt` file, else the pasted text. */
function submittedKey(body: Record<string, unknown> | undefined): { key: string; pasted: string } {
  const pasted = typeof body?.key === 'string' ? body.key : '';
  const file = typeof body?.keyfile === 'string' ? body.keyfile : '';
  const fileName = typeof body?.keyfileName === 'string' ? body.keyfileName : '';
  if (fileName !== '') {
    if (!/\.(key|txt)$/i.test(fileName)) {
      throw new LicenseError('VALIDATION_FAILED', { detail: 'Upload the key as a .key or .txt file, or paste it.', data: { field: 'keyfile' } });
    }
    if (file.trim() === '') throw new LicenseError('VALIDATION_FAILED', { detail: 'The uploaded file is empty.', data: { field: 'keyfile' } });
    return { key: file, pasted };
  }
  return { key: keyFrom(body), pasted };
}

/** One section's data, or null when its source fails: the rest of the page still shows. */
async function settle<T>(what: string, load: () => Promise<T>, logger: Logger): Promise<T | null> {
  try {
    return await load();
  } catch (err) {
    logger.error(`license-manager: could not load ${what} for the page`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return null;
  }
}

/** A page link's cursor; one that does not read shows the list from the top instead of failing. */
function cursorOf(req: Request, field: string): number | null {
  try {
    return cursorFrom(req.query, field, readId);
  } catch {
    return null;
  }
}

type Flash = NonNullable<PageContext['flash']>;

const LID = /^[0-9a-f-]{36}$/;

/**
 * Sentences after a redirect-after-post; `done` picks one, nothing from the query is echoed: a
 * `lid` only picks a stored key, whose own facts are told.
 */
function flashOf(req: Request, status: LicenseStatus, keys: StoredKey[] | null): Flash | null {
  const ok = (text: string): Flash => ({ tone: 'success', text });
  const lid = typeof req.query.lid === 'string' && LID.test(req.query.lid) ? req.query.lid : null;
  const key = lid ? keys?.find((k) => k.lid === lid && k.source === 'database') : undefined;
  const name = key ? `${key.licensee} (${key.type}, valid until ${formatDay(lastValidDay(key.exp))})` : 'The key';
  switch (req.query.done) {
    case 'license':
      if (!key || status.license?.lid === key.lid) return ok(key ? `The new license is set: ${name}.` : 'The new license is set.');
      if (key.state === 'not_yet_valid') {
        return { tone: 'info', text: `The key is stored: ${name}. It starts on ${formatDay(key.nbf)}; the current license stays in force until then.` };
      }
      if (key.type === 'staging' && key.state === 'wrong_server') {
        return {
          tone: 'info',
          text: `The staging key is stored: ${name}. It stays dormant here and becomes current by itself on the staging copy of this database.`,
        };
      }
      return { tone: 'info', text: `The key is stored: ${name}. The current license stays in force.` };
    case 'activated':
      return ok(`${name} is now the current license.`);
    case 'retired':
      return {
        tone: 'success',
        text: `${name} is retired: it stays in the history and is never chosen again.`,
        undo: key && isUsable(key.state) ? { lid: key.lid, label: 'Undo: make it current again' } : undefined,
      };
    case 'extended': {
      const ext = status.extension?.last;
      if (!ext) return ok('The license is extended.');
      const until = formatDay(lastValidDay(Date.parse(ext.until) / 1000));
      return req.query.agreed === '1'
        ? {
            tone: 'info',
            text: `This extension was already used by ${ext.actor} at the same moment: commercial features stay on through ${until}. No further extension was used.`,
          }
        : ok(
            `The license is extended by ${ext.days} day${ext.days === 1 ? '' : 's'}: commercial features stay on through ${until}. Your vendor sees this in your next usage report.`,
          );
    }
    case 'threshold':
      return ok('The threshold is saved.');
    case 'revocations':
      return ok('The revocation list is installed.');
    case 'test-email': {
      const n = Number(typeof req.query.recipients === 'string' && /^\d{1,6}$/.test(req.query.recipients) ? req.query.recipients : NaN);
      return ok(Number.isNaN(n) ? 'The test email was sent.' : `A test email was sent to ${n} administrator${n === 1 ? '' : 's'}.`);
    }
    default:
      return null;
  }
}

/** A refused action's outcome, at the top of the page like a success (the field says it too). */
const refused = (what: string, message: string): Flash => ({ tone: 'danger', text: `${what}: ${message}` });

/**
 * The License Manager page and its plain HTML forms: each form posts, then redirects back
 * (303), or re-renders the page with the sentence next to the form and the typed value kept.
 */
export function pageRoutes(port: WebPort, csrf: Csrf, logger: Logger): Router {
  const page = Router();

  async function show(req: Request, res: Response, status: number, forms: Forms): Promise<void> {
    // NOTE: bounded reads only (SPEC 15.5): the largest projects and their count, one page of
    // keys and of notifications; `?keys=` and `?notifications=` carry the cursor of older ones.
    const keysAfter = cursorOf(req, 'keys');
    const notificationsBefore = cursorOf(req, 'notifications');
    // NOTE: every read at once, so a database that stops answering costs the page one deadline (SPEC 21)
    const offlineRead =
      port.offline &&
      settle(
        'the revocation list',
        async () => ({
          instanceKeyId: port.offline!.instanceKeyId(),
          revocations: await port.offline!.revocations(),
        }),
        logger,
      );
    const [allKeys, usage, notifications, health, history, events, audit] = await Promise.all([
      settle('the stored keys', () => port.keyHistory(), logger),
      settle('the per-project usage', () => port.locUsage({ limit: PAGE_SIZES.projects, after: null }), logger),
      settle(
        'the notifications',
        async () => trimPage(await port.jobs.notifications(PAGE_SIZES.notifications + 1, notificationsBefore), PAGE_SIZES.notifications),
        logger,
      ),
      settle('the job health', () => port.jobs.health(), logger),
      settle('the LOC history', () => port.jobs.locHistory(90), logger),
      settle('the server ID events', () => port.serverIdEvents(), logger),
      settle('the audit trail', () => port.audit(10), logger),
    ]);
    const keys = allKeys && pageOf(allKeys, PAGE_SIZES.keys, keysAfter);
    const offline = await offlineRead;
    const olderLink = (field: string, next: number | null | undefined) => (next == null ? null : `?${field}=${encodeCursor([next])}`);
    const data: PageData = {
      status: port.status(),
      keys: keys?.items ?? null,
      usage,
      notifications: notifications?.items ?? null,
      pages: {
        keys: { older: olderLink('keys', keys?.next), later: keysAfter !== null },
        notifications: { older: olderLink('notifications', notifications?.next), later: notificationsBefore !== null },
      },
      health,
      history,
      events,
      audit,
    };
    const csrfToken = await csrf.issue(req, res);
    const html = renderPage(
      pageModel(data, {
        productName: port.productName,
        productVersion: port.productVersion,
        moduleVersion: port.moduleVersion,
        supportEmail: port.supportEmail,
        base: req.baseUrl,
        csrfToken,
        flash: forms.flash ?? (status === 200 ? flashOf(req, data.status, allKeys) : null),
        forms,
        offline: offline ?? null,
      }),
    );
    res.status(status).set('Content-Security-Policy', PAGE_CSP).type('html').send(html);
  }

  // NOTE: #outcome brings the sentence into view without script; the script also focuses it.
  const back = (req: Request, res: Response, query: string) => res.redirect(303, `${req.baseUrl}/?${query}#outcome`);

  /** Form posts: parse the form, then refuse anything without a valid token. */
  const csrfChecked = async (req: Request, _res: Response, next: (err?: unknown) => void) =>
    next((await csrf.verify(req)) ? undefined : new LicenseError('CSRF_REJECTED'));
  const checked = [formBody, csrfChecked];

  // SPEC 22: `?confirm=extend` is the confirmation step of Extend by N days (a view: nothing changes)
  page.get('/', (req, res) => show(req, res, 200, req.query.confirm === 'extend' ? { extend: { confirm: true } } : {}));

  // SPEC 22 "Request a move": the answer is the file to send to the vendor; the page stays
  page.post('/move-request', ...checked, async (req, res) => {
    const reason = typeof req.body?.reason === 'string' ? req.body.reason : '';
    try {
      if (!port.offline?.moveRequest) throw new LicenseError('VALIDATION_FAILED', { detail: 'Move requests are not available here.' });
      sendMoveRequest(res, await port.offline.moveRequest({ reason: reasonFrom(req.body), actor: port.actorOf(req) }));
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, {
        move: { value: reason, error: err.message, code: err.code },
        flash: refused('The move request was not made', err.message),
      });
    }
  });

  page.post('/license/extend', ...checked, async (req, res) => {
    let agreed: boolean;
    try {
      ({ agreed } = await port.extend({ actor: port.actorOf(req), use: useFrom(req.body) }));
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, { extend: { error: err.message, code: err.code }, flash: refused('The license was not extended', err.message) });
    }
    back(req, res, `done=extended${agreed ? '&agreed=1' : ''}`);
  });

  // SPEC 16: the key is shown first (what it is, what it changes); nothing is stored until Apply.
  page.post('/license/preview', keyForm, csrfChecked, async (req, res) => {
    let submitted: { key: string; pasted: string } = { key: '', pasted: typeof req.body?.key === 'string' ? req.body.key : '' };
    try {
      submitted = submittedKey(req.body);
      const preview = await port.previewLicense(submitted.key);
      return show(req, res, 200, { preview: previewModel(preview, submitted.key.trim(), new Date(port.status().details.evaluatedAt)) });
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, {
        license: { value: submitted.pasted, error: err.message, code: err.code },
        flash: refused('The key cannot be used', err.message),
      });
    }
  });

  page.post('/license', ...checked, async (req, res) => {
    const pasted = typeof req.body?.key === 'string' ? (req.body.key as string) : '';
    let lid: string;
    try {
      lid = (await applyKey(port, keyFrom(req.body), port.actorOf(req))).lid ?? '';
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, {
        license: { value: pasted, error: err.message, code: err.code },
        flash: refused('The license was not set', err.message),
      });
    }
    back(req, res, `done=license&lid=${encodeURIComponent(lid)}`);
  });

  for (const [path, act, done, what] of [
    ['/keys/activate', port.activateKey, 'activated', 'The key was not made current'],
    ['/keys/retire', port.retireKey, 'retired', 'The key was not retired'],
  ] as const) {
    page.post(path, ...checked, async (req, res) => {
      let lid: string;
      try {
        lid = lidFrom(req.body);
        await act.call(port, lid, { actor: port.actorOf(req) });
      } catch (err) {
        if (!isLicenseError(err)) throw err;
        return show(req, res, err.status, { flash: refused(what, err.message) });
      }
      back(req, res, `done=${done}&lid=${encodeURIComponent(lid)}`);
    });
  }

  page.post('/loc-threshold', ...checked, async (req, res) => {
    const typed = typeof req.body?.percent === 'string' ? (req.body.percent as string).slice(0, 20) : '';
    try {
      await port.setLocThreshold(percentFrom(req.body, true), { actor: port.actorOf(req) });
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, { threshold: { value: typed, error: err.message }, flash: refused('The threshold was not saved', err.message) });
    }
    back(req, res, 'done=threshold');
  });

  page.post('/test-email', ...checked, async (req, res) => {
    let recipients: number;
    try {
      ({ recipients } = await port.jobs.sendTestEmail(port.actorOf(req)));
    } catch (err) {
      // The SMTP error may name hosts or users: log it, show a sentence.
      const error = isLicenseError(err) ? err.message : 'The test email could not be sent. The details are in the server log.';
      if (!isLicenseError(err)) logger.error('license-manager: test email failed', { error: err instanceof Error ? err.message : String(err) });
      return show(req, res, isLicenseError(err) ? err.status : 502, { testEmail: { error }, flash: refused('The test email was not sent', error) });
    }
    back(req, res, `done=test-email&recipients=${recipients}`);
  });

  page.post('/revocations', largeForm(MAX_REVOCATIONS_FORM_BYTES), csrfChecked, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const pasted = typeof body.list === 'string' ? body.list.slice(0, 20_000) : '';
    try {
      if (!port.offline) throw new LicenseError('VALIDATION_FAILED');
      const fromFile = typeof body.file === 'string' && body.file.trim() ? body.file : undefined;
      await port.offline.setRevocations(listFrom(fromFile !== undefined ? { list: fromFile } : body), { actor: port.actorOf(req) });
    } catch (err) {
      if (!isLicenseError(err)) throw err;
      return show(req, res, err.status, {
        revocations: { value: pasted, error: err.message, code: err.code },
        flash: refused('The revocation list was not installed', err.message),
      });
    }
    back(req, res, 'done=revocations');
  });

  // A reload or a bookmark of a form's address shows the page instead of a 404 or a re-post.
  for (const form of FORM_PATHS) page.get(form, (req, res) => res.redirect(303, `${req.baseUrl}/`));

  return page;
}
