import { AxessArgumentError } from '../errors/axess-argument.error.js';
import { assertWholeNumber, type ValueSource } from '../errors/whole-number.js';
import { DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS } from '../store/session-lifetime.js';

/**
 * Default lifetime the registry assumes for a session: the longest default absolute timeout, a
 * remembered session's (30 days). Longer than a session lives is harmless (dead members are
 * pruned); shorter would let the set expire under a live session and its cap read as empty.
 */
export const DEFAULT_REGISTRY_LIFETIME_MS: number = DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS;

/**
 * Throws unless `max` is a whole number ≥ 1: `AxessOptionsError('maxSessionsPerUser')` for the
 * option or a decorator's cap, `AxessArgumentError` naming `name` for a value met at run time
 * (what a cap function returned).
 */
export function assertMaxSessions(max: unknown, source: ValueSource = 'option', name = 'maxSessionsPerUser'): asserts max is number {
  assertWholeNumber(max, name, { source });
}

/** The clock's instant as a whole number of ms, the unit of registry scores. */
export function scoreInstant(nowMs: number): number {
  if (!Number.isFinite(nowMs)) throw new AxessArgumentError('Clock.nowMs()', 'must return a finite number.');
  return Math.floor(nowMs);
}
