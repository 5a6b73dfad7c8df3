import { diag, metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** The exporter of the process's metrics, once registered. */
let exporter: PrometheusExporter | undefined;

/**
 * Registers the OpenTelemetry metrics SDK for this process, once: a global `MeterProvider` read
 * by a Prometheus exporter that starts no server of its own (`GET /metrics` serves it). It must
 * run before the Nest app is created: the library takes its meter from the global provider when
 * its module boots. Later calls (a second app in one process, as in the tests) reuse it.
 */
export function registerSampleMetrics(): PrometheusExporter {
  if (!exporter) {
    exporter = new PrometheusExporter({ preventServerStart: true });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  }
  return exporter;
}

/** The Prometheus text format's content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const serializer = new PrometheusSerializer();

/** Every metric of the process, in the Prometheus text format, as the exporter's own server would write it. */
export async function prometheusText(): Promise<string> {
  const { resourceMetrics, errors } = await registerSampleMetrics().collect();
  // As the exporter's own handler does: what could be collected is served, the errors are logged.
  if (errors.length > 0) diag.error('Prometheus: metrics collection errors', ...errors);
  return serializer.serialize(resourceMetrics);
}
