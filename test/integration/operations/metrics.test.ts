import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { startWeb, type WebFixture } from '../web/fixture.js';
import { poll, PROMETHEUS, PROMTOOL, promtool, requireBinary, startPrometheus, type PrometheusServer } from '../../helpers/prometheus.js';

const RULES = fileURLToPath(new URL('../../../examples/prometheus/license-alerts.yml', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../examples/prometheus/prometheus.yml', import.meta.url));
const RULE_TESTS = fileURLToPath(new URL('./license-alerts.promtest.yml', import.meta.url));

/** name{labels} value lines of an exposition, comments left out */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics (SPEC 17.1)', function () {
  this.timeout(60_000);
  let web: WebFixture;
  before(async () => {
    web = await startWeb();
  });
  after(async () => {
    await web?.close();
  });

  it('GET metrics is authorized like every route', async () => {
    web.allow.value = false;
    try {
      const res = await fetch(`${web.base}/metrics`);
      expect(res.status).to.equal(403);
      expect(await res.text()).to.not.include('license_info');
    } finally {
      web.allow.value = true;
    }
  });

  it('serves the names and labels of the SPEC table from the snapshot', async () => {
    await web.setLicense(await web.issue({ loc: 1000, users: 50, features: ['sso'] }));
    await web.recordAnalysis('api', 'main', 950);
    await web.lm.reportUsers(12);
    await web.lm.setLocThreshold(80, { actor: 'test' });
    await web.lm.runJob();
    await web.refresh();
    const res = await fetch(`${web.base}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const m = samples(await res.text());
    const s = web.status();
    expect(m.get(`license_info{server_id="${s.serverId}",license_id="${s.license!.lid}",type="production",edition="enterprise"}`)).to.equal(1);
    for (const state of ['none', 'invalid', 'wrong_server', 'not_yet_valid', 'active', 'expiring', 'grace', 'expired', 'revoked']) {
      expect(m.get(`license_state{state="${state}"}`), state).to.equal(state === s.state ? 1 : 0);
    }
    expect(m.get('license_expiry_timestamp_seconds')).to.equal(s.license!.exp);
    expect(m.get('license_grace_end_timestamp_seconds')).to.equal(s.license!.exp + 14 * 86400);
    expect(m.get('license_limit{resource="loc"}')).to.equal(1000);
    expect(m.get('license_limit{resource="users"}')).to.equal(50);
    expect(m.get('license_usage{resource="loc"}')).to.equal(950);
    expect(m.get('license_usage{resource="users"}')).to.equal(12);
    expect(m.get('license_loc_threshold_ratio')).to.equal(0.8);
    expect(m.get('license_notifications_pending')).to.be.a('number');
    const lastRun = (await web.lm.jobs.jobRuns(1))[0]!;
    expect(m.get('license_job_last_success_timestamp_seconds')).to.equal(Date.parse(lastRun.finishedAt) / 1000);
  });

  it('makes no database query per scrape', async () => {
    let queries = 0;
    const count = () => {
      queries++;
    };
    web.lm.knex.on('query', count);
    try {
      for (let i = 0; i < 20; i++) expect((await fetch(`${web.base}/metrics`)).status).to.equal(200);
    } finally {
      web.lm.knex.off('query', count);
    }
    expect(queries).to.equal(0);
  });

  it('builds the text once per refresh: scrapes in between get the same text, the next refresh a new one', async () => {
    const scrape = async () => (await fetch(`${web.base}/metrics`)).text();
    const first = await scrape();
    expect(await scrape()).to.equal(first);
    const before = samples(first).get('license_usage{resource="loc"}')!;
    await web.recordAnalysis('cache-check', 'main', 7);
    expect(samples(await scrape()).get('license_usage{resource="loc"}')).to.equal(before + 7);
  });

  it('leaves a limit out when it is unlimited', async () => {
    await web.setLicense(await web.issue({ loc: 1000 }));
    const m = samples(await (await fetch(`${web.base}/metrics`)).text());
    expect(m.get('license_limit{resource="loc"}')).to.equal(1000);
    expect(m.has('license_limit{resource="users"}')).to.equal(false);
  });

  it('adds the same collectors to a host registry (once)', async () => {
    const registry = new Registry();
    web.lm.registerMetrics(registry);
    const text = await registry.metrics();
    expect(samples(text).get('license_usage{resource="loc"}')).to.equal(web.status().loc.used);
    expect(() => web.lm.registerMetrics(registry)).to.throw(TypeError, /already registered/);
  });

  describe('with promtool', () => {
    before(function () {
      requireBinary(this, PROMTOOL);
    });

    it('promtool check metrics accepts the endpoint output', async () => {
      const text = await (await fetch(`${web.base}/metrics`)).text();
      const { code, output } = await promtool(['check', 'metrics'], text);
      expect(code, output).to.equal(0);
      expect(output.trim(), 'no lint warning').to.equal('');
    });

    it('promtool check rules accepts the shipped alert rules, and check config the example', async () => {
      const rules = await promtool(['check', 'rules', RULES]);
      expect(rules.code, rules.output).to.equal(0);
      expect(rules.output).to.include('SUCCESS: 6 rules found');
      const config = await promtool(['check', 'config', CONFIG]);
      expect(config.code, config.output).to.equal(0);
    });

    it('promtool test rules: each alert fires on its situation and not without a license or under the threshold', async () => {
      const { code, output } = await promtool(['test', 'rules', RULE_TESTS]);
      expect(code, output).to.equal(0);
      expect(output).to.include('SUCCESS');
    });
  });

  describe('with a real Prometheus', () => {
    let prom: PrometheusServer | undefined;
    before(function () {
      requireBinary(this, PROMETHEUS);
    });
    after(async () => {
      await prom?.stop();
    });

    it('scrapes the test host and reads a metric back through its HTTP API', async () => {
      const origin = new URL(web.base);
      prom = await startPrometheus({ target: origin.host, metricsPath: `${origin.pathname}/metrics` });
      const expected = web.status().loc.used;
      // bounded: 60 tries, 500 ms apart (the scrape interval is 1 s)
      const found = await poll(
        async () => {
          const [sample] = await prom!.query('license_usage{resource="loc",job="license-manager"}');
          return sample;
        },
        60,
        500,
      );
      expect(found, 'Prometheus never stored license_usage').to.not.equal(undefined);
      expect(found!.value).to.equal(expected);
      const [up] = await prom.query('up{job="license-manager"}');
      expect(up!.value).to.equal(1);
    });
  });
});
