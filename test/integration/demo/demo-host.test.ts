import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoHost, type DemoHost } from '../../../examples/demo-host/server.js';

describe('demo host (npm start)', () => {
  let demo: DemoHost | undefined;
  afterEach(async () => {
    await demo?.stop();
    demo = undefined;
  });

  it('starts on embedded SQLite with a demo license for its own server ID, demo projects and a working page', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lm-demo-'));
    demo = await startDemoHost({ dataDir, port: 0, quiet: true });
    const status = demo.lm.status();
    expect(status.state).to.equal('active');
    expect(status.license?.serverId).to.equal(demo.lm.serverId);
    expect(status.loc.used).to.be.greaterThan(0);
    const page = await fetch(demo.url);
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include(demo.lm.serverId);
    // the first impression is a real chart: 90 days of seeded history, today the live figure
    const history = await demo.lm.jobs.locHistory(90);
    expect(history).to.have.length(90);
    expect(history[0]!.used).to.be.greaterThan(0).and.below(status.loc.used);
    expect(html.match(/<tr data-x=/g)).to.have.length(90);
    const api = (await (await fetch(`${demo.url}/api/status`)).json()) as { state: string };
    expect(api.state).to.equal('active');
    const vendorKey = JSON.parse(readFileSync(join(dataDir, 'demo-vendor-key.DEMO-ONLY.json'), 'utf8'));
    expect(vendorKey.note).to.match(/DEMO ONLY/);

    // a restart keeps its server ID and license, and adds no second demo license
    const { serverId } = demo.lm;
    await demo.stop();
    demo = await startDemoHost({ dataDir, port: 0, quiet: true });
    expect(demo.lm.serverId).to.equal(serverId);
    expect(await demo.lm.keyHistory()).to.have.length(1);
  });
});
