import { messages, type LicenseErrorCode } from '../errors.js';

/**
 * A request refused at the HTTP edge with a status that LicenseError's code table does not carry
 * (413 body too large, 415 not JSON). The body keeps the SPEC 8 shape, with a SPEC 12 code.
 */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
  constructor(
    readonly status: number,
    readonly code: LicenseErrorCode,
    message: string = messages[code],
  ) {
    super(message);
  }
}
