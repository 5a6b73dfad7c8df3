import { Clock } from './clock.js';

/** The wall clock of the machine. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  override nowMs(): number {
    return Date.now();
  }
}
