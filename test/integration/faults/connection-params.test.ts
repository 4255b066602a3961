/**
 * SPEC 21: every parameter of a database URL reaches the driver as the driver's own parser reads
 * it. `sslmode=require` is proven against the real local PostgreSQL: refused while the server has
 * no TLS, a TLS connection by `pg_stat_ssl` once TLS is turned on for the test (a self-signed
 * certificate made with openssl at run time), and `sslmode=disable` is not.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { DbFactory, MYSQL_URL, PG_URL, requireDb, type TestDb } from '../../helpers/dbs.js';
import { Managers, testClock } from '../../helpers/managers.js';
import { testVendor, type TestVendor } from '../../helpers/license-keys.js';
import { knexConfigFromUrl } from '../../../lib/store/connect.js';
import { connectionIdentity } from '../../../lib/server-id/identity.js';
import { runCli } from '../../../lib/cli/program.js';
import type { CliIo } from '../../../lib/cli/io.js';

const withParams = (url: string, params: string) => `${url}${url.includes('?') ? '&' : '?'}${params}`;

async function one<T>(url: string, work: (k: Knex) => Promise<T>): Promise<T> {
  const k = knexFactory({ ...knexConfigFromUrl(url), pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 });
  try {
    return await work(k);
  } finally {
    await k.destroy();
  }
}

const pgSsl = async (k: Knex): Promise<{ ssl: boolean; version: string | null }> =>
  ((await k.raw('select ssl, version from pg_stat_ssl where pid = pg_backend_pid()')) as { rows: Array<{ ssl: boolean; version: string | null }> }).rows[0]!;

function cli(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: {},
    now: () => new Date('2026-11-23T12:00:00Z'),
    cwd,
  };
  return { io, out };
}

describe('database URL parameters reach the driver [postgres]', () => {
  const dbs = new DbFactory('postgres');
  const managers = new Managers();
  const clock = testClock('2026-11-23T12:00:00Z');
  let vendor: TestVendor;
  let db: TestDb;
  before(async function () {
    await requireDb(this, 'postgres');
    vendor = await testVendor();
    db = await dbs.fresh('params');
  });
  afterEach(() => managers.stopAll());
  after(() => dbs.dropAll());

  const start = (url: string) => managers.start(db, vendor, clock, { db: url });

  it('application_name and our schema parameter reach pg, and the server ID ignores every parameter', async () => {
    const url = withParams(db.url, 'application_name=lm-params-test&options=-c%20statement_timeout%3D4321');
    const seen = await one(
      url,
      async (k) =>
        (
          (await k.raw("select application_name, current_setting('statement_timeout') as timeout from pg_stat_activity where pid = pg_backend_pid()")) as {
            rows: Array<{ application_name: string; timeout: string }>;
          }
        ).rows[0]!,
    );
    expect(seen).to.deep.equal({ application_name: 'lm-params-test', timeout: '4321ms' });
    expect(connectionIdentity(knexConfigFromUrl(url))).to.equal(connectionIdentity(knexConfigFromUrl(db.url)));
    expect(connectionIdentity(knexConfigFromUrl(withParams(db.url, 'schema=tenant_a')))).to.equal(`${connectionIdentity(knexConfigFromUrl(db.url))}/tenant_a`);
    // a host passing the URL inside a knex config gets the same identity
    expect(connectionIdentity({ client: 'pg', connection: url })).to.equal(connectionIdentity(knexConfigFromUrl(db.url)));
  });

  describe('while the server has no TLS (as the local one starts)', () => {
    before(async function () {
      const ssl = await one(PG_URL, async (k) => ((await k.raw('show ssl')) as { rows: Array<{ ssl: string }> }).rows[0]!.ssl);
      if (ssl !== 'off') {
        console.warn('\n  ######## SKIP: the local PostgreSQL already has TLS on; the refusal without TLS cannot be shown. ########\n');
        this.skip();
      }
    });

    it('sslmode=require is refused with a sentence by start() and by the CLI, never connecting in clear', async () => {
      let thrown: unknown;
      await start(withParams(db.url, 'sslmode=require')).catch((err: unknown) => {
        thrown = err;
      });
      expect(thrown).to.be.instanceOf(TypeError);
      expect((thrown as Error).message).to.match(/^The database server does not accept TLS connections, but the database URL requires TLS/);
      const c = cli(tmpdir());
      expect(await runCli(['server-id', '--db', withParams(db.url, 'sslmode=require')], c.io)).to.equal(1);
      expect(c.out.stderr).to.match(/^error: The database server does not accept TLS connections/);
      // and without the parameter, the same database answers in clear
      expect((await pgSsl(await start(db.url).then((lm) => lm.knex))).ssl).to.equal(false);
    });
  });

  describe('with TLS turned on for the test (self-signed certificate made with openssl)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lm-tls-'));
    const cert = join(dir, 'server.crt');
    let serverFiles: { cert: string; key: string } | undefined;

    const setting = (name: string) =>
      one(
        PG_URL,
        async (k) => ((await k.raw('select setting from pg_settings where name = ?', [name])) as { rows: Array<{ setting: string }> }).rows[0]!.setting,
      );
    /** pg_reload_conf() signals the postmaster: new connections see the change a moment later */
    async function reloadUntil(ssl: 'on' | 'off'): Promise<void> {
      await one(PG_URL, (k) => k.raw('select pg_reload_conf()'));
      for (let i = 0; i < 100 && (await setting('ssl')) !== ssl; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await setting('ssl'), `ssl after pg_reload_conf()`).to.equal(ssl);
    }

    before(async function () {
      const superuser = await one(
        PG_URL,
        async (k) => ((await k.raw('select rolsuper from pg_roles where rolname = current_user')) as { rows: Array<{ rolsuper: boolean }> }).rows[0]!.rolsuper,
      );
      if (!superuser) {
        if (process.env.CI === 'true') throw new Error('CI=true and the test user cannot turn TLS on (not a superuser)');
        console.warn('\n  ######## SKIP: turning TLS on needs a PostgreSQL superuser. ########\n');
        this.skip();
      }
      const key = join(dir, 'server.key');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      // NOTE: the server reads its certificate from its own file system and wants its key owned by
      // it, mode 0600 (COPY … TO writes 0644, which it refuses): the test writes them into the data
      // directory as the server's user, so it needs the server on this machine and root (or that user).
      const dataDir = await setting('data_directory');
      const owner = existsSync(dataDir) ? statSync(dataDir) : undefined;
      const me = process.getuid?.();
      if (!owner || (me !== 0 && me !== owner.uid)) {
        if (process.env.CI === 'true') throw new Error(`CI=true and the test cannot write a certificate the server at ${dataDir} reads`);
        console.warn(`\n  ######## SKIP: turning TLS on needs PostgreSQL on this machine and the right to write into ${dataDir}. ########\n`);
        this.skip();
      }
      const tag = `lm-test-${process.pid}-${Date.now()}`;
      serverFiles = { cert: join(dataDir, `${tag}.crt`), key: join(dataDir, `${tag}.key`) };
      for (const [local, remote] of [
        [cert, serverFiles.cert],
        [key, serverFiles.key],
      ] as const) {
        writeFileSync(remote, readFileSync(local), { mode: 0o600 });
        chownSync(remote, owner.uid, owner.gid);
      }
      await one(PG_URL, async (k) => {
        await k.raw(`alter system set ssl_cert_file = '${serverFiles!.cert}'`);
        await k.raw(`alter system set ssl_key_file = '${serverFiles!.key}'`);
        await k.raw('alter system set ssl = on');
      });
      await reloadUntil('on');
      // the setting reads "on" even when the server could not load the files: a TLS probe confirms
      const probe = withParams(PG_URL, 'uselibpqcompat=true&sslmode=require');
      let tlsUp = false;
      for (let i = 0; i < 50 && !tlsUp; i++) {
        tlsUp = await one(probe, pgSsl).then(
          (r) => r.ssl,
          () => false,
        );
        if (!tlsUp) await new Promise((r) => setTimeout(r, 100));
      }
      expect(tlsUp, 'the server took the test certificate (see its log: "SSL configuration was not reloaded")').to.equal(true);
    });

    after(async () => {
      // other engineers' tests share this server: its settings go back as they were
      if (serverFiles) {
        await one(PG_URL, async (k) => {
          await k.raw('alter system reset ssl');
          await k.raw('alter system reset ssl_cert_file');
          await k.raw('alter system reset ssl_key_file');
        });
        await reloadUntil('off');
        for (const f of Object.values(serverFiles)) if (existsSync(f)) rmSync(f, { force: true });
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('sslmode=require with the certificate authority is a TLS connection by pg_stat_ssl; sslmode=disable is not; one server ID', async () => {
      const tls = await start(withParams(db.url, `sslmode=require&sslrootcert=${encodeURIComponent(cert)}`));
      const over = await pgSsl(tls.knex);
      expect(over.ssl).to.equal(true);
      expect(over.version).to.match(/^TLSv1\.[23]$/);
      const clear = await start(withParams(db.url, 'sslmode=disable'));
      expect((await pgSsl(clear.knex)).ssl).to.equal(false);
      expect(tls.serverId).to.equal(clear.serverId);
      // libpq's meaning of require (encrypt, do not verify) is pg's uselibpqcompat
      expect((await one(withParams(db.url, 'uselibpqcompat=true&sslmode=require'), pgSsl)).ssl).to.equal(true);
    });

    it('sslmode=require without a trusted certificate authority is refused with a sentence (pg verifies the certificate)', async () => {
      let thrown: unknown;
      await start(withParams(db.url, 'sslmode=require')).catch((err: unknown) => {
        thrown = err;
      });
      expect(thrown).to.be.instanceOf(TypeError);
      expect((thrown as Error).message).to.match(
        /^The database server's TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
      );
    });
  });
});

describe('database URL parameters reach the driver [mysql]', () => {
  const dbs = new DbFactory('mysql');
  let db: TestDb;
  before(async function () {
    await requireDb(this, 'mysql');
    db = await dbs.fresh('params');
  });
  after(() => dbs.dropAll());

  it('charset and a socket path reach mysql2; the server ID keeps host, port and database only', async () => {
    const socket = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'].find((p) => existsSync(p));
    const url = withParams(db.url, 'charset=latin1_swedish_ci');
    const cs = await one(url, async (k) => ((await k.raw('select @@character_set_client as cs')) as [Array<{ cs: string }>])[0][0]!.cs);
    expect(cs).to.equal('latin1');
    expect(connectionIdentity(knexConfigFromUrl(url))).to.equal(connectionIdentity(knexConfigFromUrl(db.url)));
    if (!socket || !new URL(MYSQL_URL).hostname.match(/^(127\.0\.0\.1|localhost)$/)) {
      console.warn('\n  ######## SKIP (part): no local MySQL socket to connect through. ########\n');
      return;
    }
    // a socket connection has no TCP port: the connection's own view says so
    const hostOf = async (k: Knex) =>
      ((await k.raw('select host from information_schema.processlist where id = connection_id()')) as [Array<{ host: string }>])[0][0]!.host;
    const viaSocket = await one(withParams(db.url, `socketPath=${encodeURIComponent(socket)}`), hostOf);
    expect(viaSocket).to.equal('localhost');
    const viaTcp = await one(db.url, hostOf);
    expect(viaTcp).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('ssl={} against a server without TLS is refused with a sentence, never connecting in clear', async () => {
    const have = await one(db.url, async (k) => ((await k.raw("show variables like 'have_ssl'")) as [Array<{ Value: string }>])[0][0]?.Value);
    if (have === 'YES') return console.warn('\n  ######## SKIP (part): this MySQL has TLS on. ########\n');
    const c = cli(tmpdir());
    expect(await runCli(['server-id', '--db', withParams(db.url, 'ssl=%7B%7D')], c.io)).to.equal(1);
    expect(c.out.stderr).to.match(/^error: The database server does not accept TLS connections/);
  });
});
