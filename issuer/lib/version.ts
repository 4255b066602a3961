import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from 'license-manager/shared';

/** The version of license-manager-issuer (its package.json), recorded by the registry's migrator. */
export const issuerVersion: string = (JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;
