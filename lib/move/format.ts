/**
 * The move request (SPEC 22): what a moved instance hands its vendor to get a key for its new
 * server ID without a ticket. A compact JWS, header `{ alg: "EdDSA", typ: "move-request+jws",
 * jwk: <instance key of the OLD server ID> }`, signed by that old key — the moved database still
 * holds the secret it is derived from, and the vendor pinned it to the subscription. Pure: the
 * instance builds it here and the vendor's tools read it here (`license-manager/formats`).
 */
import { LicenseError } from '../errors.js';
import { DocumentError, importPublicJwk, parseDocument, signatureHolds, signDocument } from '../keys/document.js';
import type { PublicJwk } from '../keys/jwk.js';
import type { InstanceKey } from '../instance-key/derive.js';

export const MOVE_REQUEST_TYP = 'move-request+jws';
const SERVER_ID = /^[0-9A-F]{8}-[A-Z2-7]{20}$/;
const MAX_REASON = 1000;

export interface MoveRequestPayload {
  v: 1;
  /** the server ID the vendor knows (its instance key signs this request) */
  oldServerId: string;
  /** the server ID the new key is for */
  newServerId: string;
  /** the instance key of the new server ID: the vendor pins it in place of the old one */
  newInstanceKey: PublicJwk;
  /** thumbprint of `newInstanceKey` */
  newInstanceKeyId: string;
  /** the license in force when the request was made, and its subscription */
  lid: string | null;
  sub: string | null;
  licensee: string | null;
  /** why the server ID changed, in the administrator's words (or the recorded reason) */
  reason: string;
  /** when the server ID changed and when the request was made (Unix seconds) */
  movedAt: number;
  requestedAt: number;
}

export interface ReadMoveRequest {
  payload: MoveRequestPayload;
  /** the old instance key that signed it, and its thumbprint (the vendor compares it with the pinned one) */
  signer: { jwk: PublicJwk; kid: string };
  compact: string;
}

/** A reason as the request carries it: one paragraph of text, no control characters, at most 1,000 characters. */
export function checkReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new LicenseError('VALIDATION_FAILED', {
      detail: 'Say why the server ID changed (for example "database restored on a new cluster").',
      data: { field: 'reason' },
    });
  }
  // eslint-disable-next-line no-control-regex
  const text = reason.replace(/\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw new LicenseError('VALIDATION_FAILED', { detail: 'The reason must be plain text, without control characters.', data: { field: 'reason' } });
  if (text.length > MAX_REASON)
    throw new LicenseError('VALIDATION_FAILED', { detail: `The reason is at most ${MAX_REASON} characters.`, data: { field: 'reason' } });
  return text;
}

/** Signs a move request with the old server ID's instance key. */
export function signMoveRequest(payload: MoveRequestPayload, oldKey: InstanceKey): Promise<string> {
  return signDocument(MOVE_REQUEST_TYP, payload, oldKey.privateJwk, { jwk: oldKey.publicJwk });
}

const reject = (why: string, data: Record<string, unknown> = {}) =>
  new LicenseError('MOVE_REJECTED', { detail: `This move request was refused: ${why}`, data });

function ed25519(jwk: unknown): PublicJwk | null {
  const j = jwk as Record<string, unknown> | null;
  if (!j || typeof j !== 'object' || j.kty !== 'OKP' || j.crv !== 'Ed25519' || typeof j.x !== 'string' || 'd' in j) return null;
  return { kty: 'OKP', crv: 'Ed25519', x: j.x };
}

/** The payload's shape, or MOVE_REJECTED saying what is wrong with it. */
function checkPayload(p: Record<string, unknown>): MoveRequestPayload {
  if (p.v !== 1) throw reject('its format version is not 1.');
  for (const field of ['oldServerId', 'newServerId'] as const) {
    if (typeof p[field] !== 'string' || !SERVER_ID.test(p[field] as string)) throw reject(`"${field}" is not a server ID.`);
  }
  if (p.oldServerId === p.newServerId) throw reject('the old and the new server ID are the same.');
  const newKey = ed25519(p.newInstanceKey);
  if (!newKey) throw reject('it does not carry the new instance key as an Ed25519 public JWK.');
  for (const field of ['lid', 'sub', 'licensee'] as const) {
    if (p[field] !== null && (typeof p[field] !== 'string' || (p[field] as string).length > 255)) throw reject(`"${field}" is not text.`);
  }
  if (typeof p.reason !== 'string' || p.reason.length > MAX_REASON) throw reject('its reason is not text of at most 1,000 characters.');
  for (const field of ['movedAt', 'requestedAt'] as const) {
    if (!Number.isInteger(p[field]) || (p[field] as number) < 946_684_800 || (p[field] as number) > 253_402_300_799) throw reject(`"${field}" is not a date.`);
  }
  return { ...(p as unknown as MoveRequestPayload), newInstanceKey: newKey };
}

/**
 * Reads a move request: its type, the old instance key it carries, the signature by that key, the
 * payload's shape, and that `newInstanceKeyId` is the thumbprint of the new key. Whether that old
 * key is the one pinned to the subscription is the vendor's check (it knows the pin).
 */
export async function readMoveRequest(text: unknown): Promise<ReadMoveRequest> {
  let doc;
  try {
    doc = parseDocument(text, MOVE_REQUEST_TYP);
  } catch (err) {
    if (err instanceof DocumentError) throw reject(`it is not a move request (${err.message}).`);
    throw err;
  }
  const jwk = ed25519(doc.header.jwk);
  if (!jwk) throw reject('it does not carry the instance key that signed it.');
  let signer;
  try {
    signer = await importPublicJwk(jwk);
  } catch {
    throw reject('the instance key it carries is not a valid Ed25519 key.');
  }
  if (!(await signatureHolds(doc, signer.key, signer.alg)))
    throw reject('its signature does not match its content: it was altered, or not signed by the instance key it names.');
  const payload = checkPayload(doc.payload);
  const newKey = await importPublicJwk(payload.newInstanceKey).catch(() => null);
  if (!newKey || newKey.kid !== payload.newInstanceKeyId) throw reject('the new instance key ID is not the thumbprint of the new instance key.');
  return { payload, signer: { jwk, kid: signer.kid }, compact: doc.compact };
}
