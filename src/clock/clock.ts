/**
 * The source of "now" for expiry, registry scores and metadata.
 * Inject a different implementation (e.g. `ManualClock` from `@axess/nestjs-session/testing`)
 * with `overrideProvider(Clock)` or the module's `clock` option.
 */
export abstract class Clock {
  /** The current instant. */
  abstract now(): Date;

  /** The current instant in epoch milliseconds; override when `now()` allocation matters. */
  nowMs(): number {
    return this.now().getTime();
  }
}
