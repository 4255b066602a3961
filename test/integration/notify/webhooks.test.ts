import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { withDbs } from '../../helpers/dbs.js';
import { createWorld, jobHarness, PRODUCT, type JobHarness, type World } from '../../helpers/job-deps.js';
import { startReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { webhookTargets } from '../../../lib/notify/webhooks/index.js';
import { postWebhook } from '../../../lib/notify/webhooks/post.js';
import { createLicenseManager } from '../../../lib/index.js';
import { appendAudit } from '../../../lib/audit/index.js';

const DAY_MS = 86_400_000;
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * NOTE: these tests run on the real clock: receivers check `webhook-timestamp` against their own
 * clock (standardwebhooks allows 5 minutes), as they would in production.
 */
function worldDueTwoNotices(): World {
  const world = createWorld({ now: new Date(), admins: [{ name: 'Ada', email: 'ada@example.com' }], loc: { used: 990, threshold: 90 } });
  world.setLicense({ exp: new Date(Date.now() + 40 * DAY_MS), loc: 1000 });
  return world;
}

async function mailKinds(h: JobHarness): Promise<string[]> {
  return (await h.knex('license_notifications').whereNull('target').orderBy('kind').pluck('kind')) as string[];
}

function kindOf(r: { body: string }, format: 'slack' | 'json'): string {
  return format === 'json' ? (JSON.parse(r.body) as { data: { kind: string } }).data.kind : (JSON.parse(r.body) as { text: string }).text;
}

withDbs('webhooks', (dbs) => {
  const receivers: WebhookReceiver[] = [];
  const open: JobHarness[] = [];
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
  });

  it('posts each notification once to each target: Slack text, and JSON signed as Standard Webhooks says', async () => {
    const db = await dbs.fresh();
    const [slack, json] = [await receiver(), await receiver()];
    const key = secret();
    const world = worldDueTwoNotices();
    const h = await jobHarness(db, world, {
      webhooks: [
        { url: slack.url, format: 'slack' },
        { url: json.url, format: 'json', secret: key },
      ],
    });
    open.push(h);

    // the audit chain's head rides in every json body (SPEC 21)
    await appendAudit(h.knex, { at: new Date(), actor: 'alice', action: 'threshold_changed', detail: { from: 90, to: 80 } });
    const head = await appendAudit(h.knex, { at: new Date(), actor: 'alice', action: 'threshold_changed', detail: { from: 80, to: 85 } });
    const run = await h.jobs.runJob();
    expect(run, JSON.stringify(run)).to.include({ ran: true, outcome: 'ok', pending: 2 }); // the mail rows: mail is not configured
    const kinds = await mailKinds(h);
    expect(kinds).to.have.length.greaterThan(1);
    expect(slack.requests).to.have.length(kinds.length);
    expect(json.requests).to.have.length(kinds.length);

    const verifier = new Webhook(key);
    const posted = json.requests.map((r) => {
      const event = verifier.verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        data: { kind: string; serverId: string; summary: string; audit: unknown };
      };
      expect(event.data.audit).to.deep.equal({ entries: 2, hash: head.hash });
      expect(r.headers['content-type']).to.equal('application/json');
      expect(r.headers['webhook-id']).to.match(/^msg_[0-9a-f]{32}$/);
      expect(event.type).to.equal(`license.${event.data.kind}`);
      expect(event.data.summary).to.include(PRODUCT);
      return event.data.kind;
    });
    expect(posted.sort()).to.deep.equal(kinds);
    // a forged body does not verify
    expect(() => verifier.verify(json.requests[0]!.body.replace('license.', 'licence.'), json.requests[0]!.headers as Record<string, string>)).to.throw();

    for (const r of slack.requests) {
      expect(Object.keys(JSON.parse(r.body))).to.deep.equal(['text']);
      expect(kindOf(r, 'slack')).to.include(PRODUCT).and.include('https://scanner.example.com/admin/license');
      expect(r.headers['webhook-signature']).to.equal(undefined);
    }

    await h.jobs.runJob();
    expect(slack.requests).to.have.length(kinds.length);
    expect(json.requests).to.have.length(kinds.length);

    // the page lists the deliveries by format and origin: the URL's path (a Slack secret) is never stored or shown
    const rows = await h.jobs.notifications();
    const hooks = rows.filter((n) => n.target !== null);
    expect(hooks).to.have.length(2 * kinds.length);
    expect(hooks.every((n) => n.status === 'sent')).to.equal(true);
    expect(new Set(hooks.map((n) => n.target))).to.deep.equal(new Set([`slack ${new URL(slack.url).origin}`, `json ${new URL(json.url).origin}`]));
    const stored = JSON.stringify(await h.knex('license_notifications').select('*'));
    expect(stored).to.not.include('secret-part');
    expect(JSON.stringify(world.logs)).to.not.include('secret-part');
  });

  it('a 500 leaves the delivery pending; the next run delivers it exactly once, with the same message ID', async () => {
    const db = await dbs.fresh();
    const json = await receiver();
    json.respond = (n) => (n === 1 ? 500 : 204);
    const key = secret();
    const h = await jobHarness(db, worldDueTwoNotices(), { webhooks: [{ url: json.url, format: 'json', secret: key }] });
    open.push(h);

    const first = await h.jobs.runJob();
    expect(first).to.include({ outcome: 'failed', failed: 1, sent: 0 });
    // the target is down: its other rows wait for the next run instead of being tried one by one
    expect(json.requests).to.have.length(1);
    const failed = (await h.jobs.notifications()).filter((n) => n.target !== null && n.lastError !== null);
    expect(failed).to.have.length(1);
    expect(failed[0]!.lastError).to.equal(`The webhook at ${new URL(json.url).host} answered HTTP 500.`);

    const second = await h.jobs.runJob();
    expect(second).to.include({ outcome: 'ok' });
    const kinds = await mailKinds(h);
    const delivered = json
      .accepted()
      .map((r) => kindOf(r, 'json'))
      .sort();
    expect(delivered).to.deep.equal(kinds);
    expect(json.requests[1]!.headers['webhook-id']).to.equal(json.requests[0]!.headers['webhook-id']);
    await h.jobs.runJob();
    expect(json.accepted()).to.have.length(kinds.length);
  });

  it('two nodes on one database deliver each notification once per target', async () => {
    const db = await dbs.fresh();
    const [slack, json] = [await receiver(), await receiver()];
    const key = secret();
    const world = worldDueTwoNotices();
    const webhooks = [
      { url: slack.url, format: 'slack' as const },
      { url: json.url, format: 'json' as const, secret: key },
    ];
    const a = await jobHarness(db, world, { webhooks });
    open.push(a);
    const b = await jobHarness(db, world, { webhooks });
    open.push(b);
    await Promise.all([a.jobs.runJob(), b.jobs.runJob(), a.jobs.runJob(), b.jobs.runJob()]);
    await Promise.all([a.jobs.runJob(), b.jobs.runJob()]);
    const kinds = await mailKinds(a);
    expect(
      json
        .accepted()
        .map((r) => kindOf(r, 'json'))
        .sort(),
    ).to.deep.equal(kinds);
    expect(slack.accepted()).to.have.length(kinds.length);
  });

  it('gives up the rows of a webhook that is no longer configured instead of leaving them pending', async () => {
    const db = await dbs.fresh();
    const [gone, kept] = [await receiver(), await receiver()];
    gone.respond = () => 503;
    const world = worldDueTwoNotices();
    const first = await jobHarness(db, world, {
      webhooks: [
        { url: gone.url, format: 'slack' },
        { url: kept.url, format: 'slack' },
      ],
    });
    await first.jobs.runJob();
    await first.close();
    const h = await jobHarness(db, world, { webhooks: [{ url: kept.url, format: 'slack' }] });
    open.push(h);
    await h.jobs.runJob();
    const rows = (await h.jobs.notifications()).filter((n) => n.target !== null);
    const orphaned = rows.filter((n) => n.target === 'webhook (no longer configured)');
    expect(orphaned.length).to.be.greaterThan(0);
    expect(orphaned.every((n) => n.status === 'failed')).to.equal(true);
    expect(rows.filter((n) => n.target !== 'webhook (no longer configured)').every((n) => n.status === 'sent')).to.equal(true);
  });
});

describe('webhook targets and posting', () => {
  let hang: WebhookReceiver | undefined;
  after(async () => {
    await hang?.stop();
  });

  it('a receiver that does not answer in time is a failure with a fixed sentence', async () => {
    hang = await startReceiver();
    hang.respond = () => 'hang';
    const outcome = await postWebhook(hang.url, {}, '{}', 200);
    expect(outcome).to.deep.equal({ ok: false, error: `The webhook at ${new URL(hang.url).host} did not answer within 0.2 s.` });
  });

  it('an unreachable receiver is a failure naming the error code only', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.stop();
    expect(await postWebhook(url, {}, '{}')).to.deep.equal({ ok: false, error: `The webhook at ${new URL(url).host} could not be reached (ECONNREFUSED).` });
  });

  it('refuses a bad option with a TypeError naming it', () => {
    expect(() => webhookTargets([{ url: 'https://x.example/h', format: 'json' }])).to.throw(TypeError, /webhooks\[0\]\.secret" is required/);
    expect(() => webhookTargets([{ url: 'https://x.example/h', format: 'json', secret: 'hunter2' }])).to.throw(TypeError, /whsec_/);
    expect(() => webhookTargets([{ url: 'https://x.example/h', format: 'json', secret: 'whsec_c2hvcnQ=' }])).to.throw(TypeError, /24 to 64/);
    expect(() => webhookTargets([{ url: 'ftp://x.example/h', format: 'slack' }])).to.throw(TypeError, /webhooks\[0\]\.url/);
    expect(() => webhookTargets([{ url: 'https://x.example/h', format: 'xml' as never }])).to.throw(TypeError, /webhooks\[0\]\.format/);
    expect(() =>
      webhookTargets([
        { url: 'https://x.example/h', format: 'slack' },
        { url: 'https://x.example/h', format: 'slack' },
      ]),
    ).to.throw(TypeError, /twice/);
    const [t] = webhookTargets([{ url: 'https://hooks.example.com/services/T/B/XYZ', format: 'json', secret: secret() }]);
    expect(t!.label).to.equal('json https://hooks.example.com');
  });

  it('refuses a URL with a user name or password when the options are read, without repeating the password', () => {
    const options = {
      db: 'sqlite:./never-opened.db',
      publicKeys: [{ kty: 'OKP', crv: 'Ed25519', x: 'x' }],
      productName: 'Scanner',
      baseUrl: 'https://scanner.example/admin/license',
    };
    const build = (url: string) => () => webhookTargets([{ url, format: 'slack' }]);
    expect(() => createLicenseManager({ ...options, webhooks: [{ url: 'https://u:s3cr3t-pw@hooks.example.com/h', format: 'slack' }] } as never)).to.throw(
      TypeError,
      /carries a user name or password/,
    );
    for (const url of ['https://hook:s3cr3t-pw@hooks.example.com/h', 'https://hook@hooks.example.com/h', 'http://:s3cr3t-pw@hooks.example.com/h']) {
      let thrown: unknown;
      try {
        build(url)();
      } catch (err) {
        thrown = err;
      }
      expect(thrown, url).to.be.instanceOf(TypeError);
      expect((thrown as Error).message).to.match(/webhooks\[0\]\.url" carries a user name or password/);
      expect((thrown as Error).message).not.to.include('s3cr3t-pw');
    }
    expect(build('https://hooks.example.com/h')).not.to.throw();
  });
});
