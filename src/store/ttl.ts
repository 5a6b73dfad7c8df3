import { assertWholeNumber, type ValueSource } from '../errors/whole-number.js';

/**
 * Throws unless `ttlMs` is a whole number of milliseconds ≥ 1: `AxessArgumentError` for a
 * method's argument (the default), `AxessOptionsError` for a constructor's option.
 */
export function assertTtl(ttlMs: unknown, name = 'ttlMs', source: ValueSource = 'argument'): asserts ttlMs is number {
  assertWholeNumber(ttlMs, name, { unit: 'milliseconds', source });
}
