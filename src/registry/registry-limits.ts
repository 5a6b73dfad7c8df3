import { AxessOptionsError } from '../errors/axess-options.error.js';
import { DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS } from '../store/session-lifetime.js';

/**
 * Default lifetime the registry assumes for a session: the longest default absolute timeout, a
 * remembered session's (30 days). Longer than a session lives is harmless (dead members are
 * pruned); shorter would let the set expire under a live session and its cap read as empty.
 */
export const DEFAULT_REGISTRY_LIFETIME_MS: number = DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS;

/** Throws `AxessOptionsError('maxSessionsPerUser')` unless `max` is a whole number ≥ 1. */
export function assertMaxSessions(max: unknown): asserts max is number {
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new AxessOptionsError('maxSessionsPerUser', 'must be a whole number, at least 1.');
  }
}

/** The clock's instant as a whole number of ms, the unit of registry scores. */
export function scoreInstant(nowMs: number): number {
  if (!Number.isFinite(nowMs)) throw new AxessOptionsError('clock', 'nowMs() must return a finite number.');
  return Math.floor(nowMs);
}
