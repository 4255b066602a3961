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

export function metricsEndpoint(source: MetricsSource): MetricsEndpoint {
  const registry = new Registry();
  registerLicenseMetrics(registry, source);
  return { contentType: registry.contentType, text: () => registry.metrics() };
}
