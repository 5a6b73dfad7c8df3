import { context, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** One data point of a metric as the SDK exported it: its attributes and its value (a sum, or a histogram's count). */
export interface MetricPoint {
  attributes: Attributes;
  value: number;
}

/**
 * The OpenTelemetry metrics SDK with an in-memory exporter, for tests: the real aggregation of
 * the SDK, read on demand (`forceFlush` collects and exports; the periodic timer never fires in
 * a test). Pass `provider` to the module's `telemetry.meterProvider`.
 */
export class MetricsProbe {
  private readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 });
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Every metric the SDK holds now. */
  async collect(): Promise<MetricData[]> {
    this.exporter.reset();
    await this.reader.forceFlush();
    return this.exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  }

  /** The data points of metric `name` now (a histogram's value is its count). */
  async points(name: string): Promise<MetricPoint[]> {
    const metric = (await this.collect()).find((m) => m.descriptor.name === name);
    if (!metric) return [];
    return metric.dataPoints.map((point) => ({
      attributes: point.attributes,
      value: metric.dataPointType === DataPointType.HISTOGRAM ? (point.value as { count: number }).count : (point.value as number),
    }));
  }

  /** The sum of the points of `name` whose attributes include `match`. */
  async sum(name: string, match: Attributes = {}): Promise<number> {
    return (await this.points(name))
      .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
      .reduce((total, point) => total + point.value, 0);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/**
 * The OpenTelemetry trace SDK with an in-memory exporter, for tests, and an AsyncLocalStorage
 * context manager (what the Node SDK registers), so that active spans carry across awaits.
 * Pass `provider` to the module's `telemetry.tracerProvider`.
 */
export class SpansProbe {
  private readonly exporter = new InMemorySpanExporter();
  readonly provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.exporter)] });
  private readonly contextManager = new AsyncLocalStorageContextManager();

  constructor() {
    context.setGlobalContextManager(this.contextManager.enable());
  }

  /** The spans ended so far, oldest first. */
  spans(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  reset(): void {
    this.exporter.reset();
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
    context.disable();
  }
}

/** The id of a span's parent, if it has one. */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** A span's own id. */
export const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

/**
 * The samples of the metric `name` in a Prometheus text exposition: one per line
 * `name{label="value",...} number`, with its labels.
 */
export function prometheusSamples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const samples = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `match`. */
export function prometheusSum(text: string, name: string, match: Record<string, string> = {}): number {
  return prometheusSamples(text, name)
    .filter((sample) => Object.entries(match).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0);
}
