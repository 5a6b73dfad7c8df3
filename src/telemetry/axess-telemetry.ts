import {
  createNoopMeter,
  metrics,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { SessionStoreError } from '../errors/session-store.error.js';

/** The instrumentation scope of every meter and tracer of the library. */
export const AXESS_INSTRUMENTATION_SCOPE = '@axess/nestjs-session';

/**
 * The names of the library's instruments: dashboards rely on them, so they never change.
 * Prometheus shows counters with a `_total` suffix (`axess_logins_total`).
 */
export const AXESS_METRICS = {
  /** Counter; `outcome`: `admitted`, `refused` (cap full, policy `refuse`) or `failed` (the library could not complete it). */
  logins: 'axess.logins',
  /** Counter; `reason`: `evicted:newer-sign-in`, `revoked`, `logged-out`, `expired:absolute-timeout`. */
  sessionsEnded: 'axess.sessions.ended',
  /** Counter; `reason`: `malformed`, `bad-signature`, `unknown-session`, `expired:absolute-timeout`. */
  cookiesRejected: 'axess.cookies.rejected',
  /** Histogram in ms; `operation` (`load`, `save`, `admit`, ...), failed calls included. One attribute only: each costs hashing per record. */
  storeDuration: 'axess.store.duration',
  /** Counter; `kind` (`SessionStoreError.kind`), `reason` (`SessionStoreError.reason`) and `operation`. */
  storeErrors: 'axess.store.errors',
} as const;

/** What became of a login the app had authenticated. */
export type LoginOutcome = 'admitted' | 'refused' | 'failed';

/** Why a session cookie was not used: not a signed id, a wrong MAC, no live session, or past its absolute timeout. */
export type CookieRejection = 'malformed' | 'bad-signature' | 'unknown-session' | 'expired:absolute-timeout';

/**
 * OpenTelemetry settings of the module (`telemetry` option). The library depends on
 * `@opentelemetry/api` only: without an SDK registered by the app, every instrument and span is
 * a no-op.
 */
export interface AxessTelemetryOptions {
  /** Record the `axess.*` metrics. @default true */
  metrics?: boolean;
  /** Record spans for logins, revocations and store calls. @default true */
  traces?: boolean;
  /**
   * Where the metrics go. The global one is read once, when the module boots, so register the
   * SDK before creating the Nest app. @default the global MeterProvider (`metrics.getMeterProvider()`)
   */
  meterProvider?: MeterProvider;
  /** Where the spans go. @default the global TracerProvider (`trace.getTracerProvider()`, which also follows a later registration) */
  tracerProvider?: TracerProvider;
}

/** The histogram buckets of `axess.store.duration`, in ms: most store calls take well under a millisecond. */
export const STORE_DURATION_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** Attribute objects built once: the SDK hashes them on every record, the library never allocates one on a hot path. */
const attributesOf = <K extends string>(name: string, values: readonly K[]) =>
  Object.fromEntries(values.map((value): [K, Attributes] => [value, Object.freeze({ [name]: value })])) as Record<K, Attributes>;
const LOGIN_ATTRIBUTES = attributesOf<LoginOutcome>('outcome', ['admitted', 'refused', 'failed']);
const COOKIE_ATTRIBUTES = attributesOf<CookieRejection>('reason', [
  'malformed',
  'bad-signature',
  'unknown-session',
  'expired:absolute-timeout',
]);

/**
 * The library's metrics and spans, through `@opentelemetry/api`. One per module instance (a
 * provider); every attribute is a fixed word (an operation, an outcome, a reason, a count):
 * never a session id, a key, a user id or session data.
 *
 * Other parts of the library add instruments through {@link AxessTelemetry.meter} (e.g.
 * `telemetry.meter.createCounter('axess.cache.hits')`), which is a no-op meter when metrics are off.
 */
export class AxessTelemetry {
  /** The meter of the library's instruments (a no-op one when metrics are off). */
  readonly meter: Meter;
  /** The tracer of the library's spans; `undefined` when traces are off (callers then skip all span work). */
  readonly tracer: Tracer | undefined;
  /** Whether metrics are recorded. */
  readonly metricsOn: boolean;
  private readonly logins: Counter;
  private readonly sessionsEnded: Counter;
  private readonly cookiesRejected: Counter;
  private readonly storeDuration: Histogram;
  private readonly storeErrors: Counter;

  constructor(options: AxessTelemetryOptions = {}) {
    this.metricsOn = options.metrics !== false;
    this.meter = this.metricsOn
      ? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(AXESS_INSTRUMENTATION_SCOPE)
      : createNoopMeter();
    this.tracer =
      options.traces === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(AXESS_INSTRUMENTATION_SCOPE);
    this.logins = this.meter.createCounter(AXESS_METRICS.logins, {
      description:
        'Logins the app authenticated, by outcome: admitted (session bound and under the cap), refused (cap full, policy refuse) or failed.',
    });
    this.sessionsEnded = this.meter.createCounter(AXESS_METRICS.sessionsEnded, {
      description: 'Sessions ended by the library, by reason (evicted, revoked, logged out, absolute timeout).',
    });
    this.cookiesRejected = this.meter.createCounter(AXESS_METRICS.cookiesRejected, {
      description: 'Session cookies a request carried but could not use, by reason.',
    });
    this.storeDuration = this.meter.createHistogram(AXESS_METRICS.storeDuration, {
      description: 'Duration of session store and registry calls, by operation (failed calls included).',
      unit: 'ms',
      advice: { explicitBucketBoundaries: STORE_DURATION_BUCKETS_MS },
    });
    this.storeErrors = this.meter.createCounter(AXESS_METRICS.storeErrors, {
      description: 'Failures of the session store and registry, by kind, reason and operation.',
    });
  }

  /** True when store calls need wrapping: something is recorded. */
  get on(): boolean {
    return this.metricsOn || this.tracer !== undefined;
  }

  /** Counts a login the app had authenticated. */
  login(outcome: LoginOutcome): void {
    this.logins.add(1, LOGIN_ATTRIBUTES[outcome]);
  }

  /** Counts `count` sessions ended for `reason` (a `SessionEndReason`). */
  sessionsEnd(reason: string, count = 1): void {
    if (count > 0) this.sessionsEnded.add(count, { reason });
  }

  /** Counts a session cookie the request carried but could not use. */
  cookieRejected(reason: CookieRejection): void {
    this.cookiesRejected.add(1, COOKIE_ATTRIBUTES[reason]);
  }

  /** Records the duration of a store or registry call; `attributes` is one of the caller's fixed objects. */
  storeCall(durationMs: number, attributes: Attributes): void {
    this.storeDuration.record(durationMs, attributes);
  }

  /** Counts a store failure: a `SessionStoreError` (also a stored record that could not be read); nothing else. */
  storeError(operation: string, error: unknown): void {
    if (!(error instanceof SessionStoreError)) return;
    this.storeErrors.add(1, { kind: error.kind, reason: error.reason, operation });
  }

  /** Runs `fn` inside an active span `name` (store calls become its children); without a tracer, with `undefined`. */
  async inSpan<T>(name: string, options: SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
    if (!this.tracer) return fn(undefined);
    return this.tracer.startActiveSpan(name, options, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

/** Marks a span failed, naming the failure without its text (hosts, keys): a store error's kind and reason, else the class name. */
export function markFailed(span: Span, error: unknown): void {
  // A 503 carries the store's failure as its cause.
  const cause = error instanceof Error && error.cause instanceof SessionStoreError ? error.cause : error;
  if (cause instanceof SessionStoreError) {
    span.setAttributes({ 'axess.error.kind': cause.kind, 'axess.error.reason': cause.reason });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${cause.kind}: ${cause.reason}` });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : typeof error });
  }
}
