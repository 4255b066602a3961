/**
 * A host node that starts on a database with pending migrations (test/integration/upgrade/
 * once-per-cluster.test.ts), as its own OS process: `node --import tsx`. Its logger prints each line
 * on stdout (`LOG <message>`), so the test sees it wait for another node's migration lock; then it
 * serves GET /admin/license/api/status and prints `READY <port>`; it stops on SIGTERM.
 *
 * Environment: LM_DB_URL, LM_PUBLIC_KEY (a JWK as JSON).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLicenseManager } from '../../lib/index.js';
import type { PublicJwk } from '../../lib/keys/jwk.js';

const log = (message: string) => process.stdout.write(`LOG ${message}\n`);
const lm = createLicenseManager({
  db: process.env.LM_DB_URL!,
  publicKeys: [JSON.parse(process.env.LM_PUBLIC_KEY!) as PublicJwk],
  productName: 'Rolling Host',
  baseUrl: 'http://127.0.0.1/admin/license',
  authorize: () => true,
  getGlobalAdmins: async () => [],
  logger: { info: log, warn: log, error: log },
  env: {},
});
await lm.start();
const app = express().use('/admin/license', lm.router());
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  lm.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
