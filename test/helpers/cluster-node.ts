/**
 * One node of a host cluster, as its own OS process (SPEC 15.4 tests): a real license manager on
 * the database given, its router at /admin/license, mail to the given SMTP server. Started by
 * test/helpers/cluster.ts with `node --import tsx`; prints `READY <port>` once it serves, and
 * stops cleanly on SIGTERM.
 *
 * Environment: LM_DB_URL, LM_PUBLIC_KEY (a JWK as JSON), LM_SMTP_URL, LM_ADMINS (comma-separated
 * addresses), LM_REFRESH_SECONDS, LM_CLOCK_OFFSET_MS (added to the system clock, so every node
 * of the test shares one moved clock that still advances), LM_MONOTONIC=real (the process also
 * passes a monotonic clock, `performance.now()`, so its clock is judged against the database
 * server's clock and its own elapsed time, SPEC 21; without it `now` alone is trusted as is).
 * Beside the router it serves `POST /host/run-job` (what the daily schedule calls), as a host
 * may expose to its operators, and for the clock tests `POST /host/clock?wall=MS&mono=MS`
 * (set the wall clock's offset and add to the monotonic clock: a node's clock going wrong, or
 * time passing for it alone) and `POST /host/refresh` (one refresh now, answering the status).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLicenseManager } from '../../lib/index.js';
import type { PublicJwk } from '../../lib/keys/jwk.js';

const env = process.env;
let offset = Number(env.LM_CLOCK_OFFSET_MS ?? 0);
let monoOffset = 0;
const admins = (env.LM_ADMINS ?? '')
  .split(',')
  .filter(Boolean)
  .map((email, i) => ({ name: `Admin ${i}`, email }));

const lm = createLicenseManager({
  db: env.LM_DB_URL!,
  publicKeys: [JSON.parse(env.LM_PUBLIC_KEY!) as PublicJwk],
  productName: 'Cluster Host',
  baseUrl: 'http://127.0.0.1/admin/license',
  authorize: () => true,
  actorOf: () => 'admin',
  getGlobalAdmins: async () => admins,
  mail: env.LM_SMTP_URL ? { transport: env.LM_SMTP_URL, from: 'License Manager <lm@cluster.example>' } : undefined,
  now: () => new Date(Date.now() + offset),
  ...(env.LM_MONOTONIC === 'real' ? { monotonic: () => performance.now() + monoOffset } : {}),
  refreshSeconds: Number(env.LM_REFRESH_SECONDS ?? 10),
  env: {},
});
await lm.start();

const app = express();
app.use('/admin/license', lm.router());
app.post('/host/run-job', async (_req, res) => {
  res.json(await lm.runJob());
});
app.post('/host/clock', (req, res) => {
  if (req.query.wall !== undefined) offset = Number(req.query.wall);
  if (req.query.mono !== undefined) monoOffset += Number(req.query.mono);
  res.json({ offset, monoOffset });
});
app.post('/host/refresh', async (_req, res) => {
  res.json(await lm.refresh());
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  lm.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
