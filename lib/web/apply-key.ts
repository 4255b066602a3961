import { isLicenseError } from '../errors.js';
import type { LicenseStatus } from '../license/types.js';
import type { LicensePreview } from '../runtime/reads.js';
import type { WebPort } from './port.js';

/**
 * Sets a key from the page or the API and says what it changed. The preview is read first (the
 * changes are against the license before it), but a key the preview refuses still goes to
 * `setLicense`, which refuses it again and records the refusal in the audit log (SPEC 17.3).
 */
export async function applyKey(
  port: WebPort,
  key: string,
  actor: string,
): Promise<{ status: LicenseStatus; changes: LicensePreview['changes'] | null; lid: string | undefined }> {
  const preview = await port.previewLicense(key).catch((err: unknown) => {
    if (isLicenseError(err)) return null;
    throw err;
  });
  const status = await port.setLicense(key, { actor });
  return { status, changes: preview?.changes ?? null, lid: preview?.license.lid ?? status.license?.lid };
}
