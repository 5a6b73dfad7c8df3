import { Clock } from '../clock/clock.js';

/**
 * A clock that moves only when told to, for deterministic tests of expiry and ordering.
 * @example
 * const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
 * clock.advance(60_000);
 */
export class ManualClock extends Clock {
  private current = 0;

  constructor(start: Date | number = Date.UTC(2030, 0, 1)) {
    super();
    this.set(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  override nowMs(): number {
    return this.current;
  }

  /** Jumps to the given instant. */
  set(instant: Date | number): void {
    this.current = typeof instant === 'number' ? instant : instant.getTime();
  }

  /** Moves forward by `ms` milliseconds (negative moves back). */
  advance(ms: number): void {
    this.current += ms;
  }
}
