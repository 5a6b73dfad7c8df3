import { AxessOptionsError } from '../errors/axess-options.error.js';

/** Throws unless `ttlMs` is a whole number of milliseconds ≥ 1. */
export function assertTtl(ttlMs: unknown, name = 'ttlMs'): asserts ttlMs is number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new AxessOptionsError(name, 'must be a whole number of milliseconds, at least 1.');
  }
}
