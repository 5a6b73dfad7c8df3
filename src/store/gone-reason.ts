import { AxessArgumentError } from '../errors/axess-argument.error.js';

/** Longest reason a gone-marker may hold, in characters. */
export const MAX_GONE_REASON_LENGTH = 200;

/** Throws unless `reason` is a non-empty string of at most {@link MAX_GONE_REASON_LENGTH} characters. */
export function assertGoneReason(reason: unknown): asserts reason is string {
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_GONE_REASON_LENGTH) {
    throw new AxessArgumentError('reason', `must be a non-empty string of at most ${MAX_GONE_REASON_LENGTH} characters.`);
  }
}
