/**
 * Prometheus metrics (SPEC 17.1). `GET metrics` under the router serves a private registry;
 * `lm.registerMetrics(registry)` adds the same collectors to a host's own prom-client registry.
 */
import { Registry } from 'prom-client';
import { registerLicenseMetrics, type MetricsSource } from './collectors.js';

export { registerLicenseMetrics, METRIC_STATES, type MetricsSource } from './collectors.js';

/** The exposition the router serves: the text format, built from the source at each scrape. */
export interface MetricsEndpoint {
  contentType: string;
  text(): Promise<string>;
}

/**
 * NOTE: every figure comes from the snapshot and the facts of the last refresh, both replaced
 * (never changed) by each refresh, so the text is built once per refresh and scrapes in between
 * send the same string instead of serialising every gauge again.
 */
export function metricsEndpoint(source: MetricsSource): MetricsEndpoint {
  const registry = new Registry();
  registerLicenseMetrics(registry, source);
  let built: { status: unknown; operations: unknown; text: Promise<string> } | undefined;
  return {
    contentType: registry.contentType,
    text() {
      const status = source.status();
      const operations = source.operations();
      if (built && built.status === status && built.operations === operations) return built.text;
      const entry = { status, operations, text: registry.metrics() };
      built = entry;
      entry.text.catch(() => {
        if (built === entry) built = undefined;
      });
      return entry.text;
    },
  };
}
