import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoHost, type DemoHost } from '../../../examples/demo-host/server.js';
import { startReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

describe('demo host with WEBHOOK_URL', function () {
  this.timeout(60_000);
  let demo: DemoHost | undefined;
  let hook: WebhookReceiver | undefined;
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lm-demo-hook-'));
  });
  after(async () => {
    await demo?.stop();
    await hook?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('posts the LOC threshold notification to the Slack-format webhook it was given', async () => {
    const receiver = await startReceiver();
    hook = receiver;
    demo = await startDemoHost({ dataDir, port: 0, quiet: true, webhookUrl: receiver.url });
    // the demo's projects use about 46% of its 250,000 lines: a 10% threshold is crossed
    await demo.lm.setLocThreshold(10, { actor: 'admin' });
    await demo.lm.runJob();
    const texts = receiver.accepted().map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts.filter((t) => t.includes('of the licensed lines of code are used'))).to.have.length(1);
    const rows = await demo.lm.jobs.notifications();
    expect(rows.some((n) => n.target === `slack ${new URL(receiver.url).origin}` && n.status === 'sent')).to.equal(true);
  });
});
