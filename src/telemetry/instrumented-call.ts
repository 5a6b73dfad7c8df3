import { context, trace, type Attributes, type SpanOptions } from '@opentelemetry/api';
import { markFailed, type AxessTelemetry } from './axess-telemetry.js';

/** One kind of store or registry call, with its histogram attributes and span name and options built once. */
export class InstrumentedOperation {
  /** The histogram's attributes: the operation alone. */
  readonly attributes: Attributes;
  /** The span's name, e.g. `axess.store load`. */
  readonly spanName: string;
  /** The span's attributes. */
  readonly spanOptions: SpanOptions;

  /**
   * @param name the operation (`load`, `admit`, ...), the `operation` attribute
   * @param component `store` or `registry`
   * @param backend `valkey`, `memory` or a custom store's name
   * @param roundTrips the round trips one call takes, where the backend documents a fixed count
   * @param parent whether the call's span becomes the active span (it makes store calls of its own)
   */
  constructor(
    readonly name: string,
    component: 'store' | 'registry',
    backend: string,
    roundTrips: number | undefined,
    readonly parent = false,
  ) {
    this.attributes = Object.freeze({ operation: name });
    this.spanName = `axess.${component} ${name}`;
    this.spanOptions = Object.freeze({
      attributes: Object.freeze({
        'axess.operation': name,
        'axess.store.backend': backend,
        ...(roundTrips === undefined ? {} : { 'axess.round_trips': roundTrips }),
      }),
    });
  }
}

/** Runs one store or registry call with its span, duration and failure count; `describe` adds span attributes from the result. */
export async function instrumentedCall<T>(
  telemetry: AxessTelemetry,
  operation: InstrumentedOperation,
  run: () => Promise<T>,
  describe?: (result: T) => Attributes,
): Promise<T> {
  const span = telemetry.tracer?.startSpan(operation.spanName, operation.spanOptions);
  const started = performance.now();
  try {
    const result = await (span && operation.parent ? context.with(trace.setSpan(context.active(), span), run) : run());
    if (telemetry.metricsOn) telemetry.storeCall(performance.now() - started, operation.attributes);
    if (span && describe) span.setAttributes(describe(result));
    return result;
  } catch (error) {
    if (telemetry.metricsOn) {
      telemetry.storeCall(performance.now() - started, operation.attributes);
      telemetry.storeError(operation.name, error);
    }
    if (span) markFailed(span, error);
    throw error;
  } finally {
    span?.end();
  }
}
