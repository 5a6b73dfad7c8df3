import { AxessOptionsError } from '../errors/axess-options.error.js';

/**
 * What a sign-in does when the user already holds as many sessions as the cap allows:
 * `'evict-oldest'` admits it and ends the oldest sessions beyond the cap (the last sign-in wins);
 * `'refuse'` turns it away and leaves every existing session alone (the first sessions win, so a
 * stolen password cannot push the owner's devices out).
 */
export type SessionLimitPolicy = 'evict-oldest' | 'refuse';

/** The policy when nothing is set: today's behaviour, eviction of the oldest. */
export const DEFAULT_SESSION_LIMIT_POLICY: SessionLimitPolicy = 'evict-oldest';

/** Throws `AxessOptionsError(option)` unless `value` is one of the {@link SessionLimitPolicy} words. */
export function assertSessionLimitPolicy(value: unknown, option = 'onSessionLimit'): asserts value is SessionLimitPolicy {
  if (value !== 'evict-oldest' && value !== 'refuse') {
    throw new AxessOptionsError(option, "must be 'evict-oldest' or 'refuse'.");
  }
}
