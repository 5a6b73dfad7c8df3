import { AxessArgumentError } from './axess-argument.error.js';
import { AxessOptionsError } from './axess-options.error.js';

/** Where a checked value came from: the error says "option" or "argument" accordingly. */
export type ValueSource = 'option' | 'argument';

/** What a whole-number check needs besides the value. */
export interface WholeNumberRule {
  /** The smallest value allowed. @default 1 */
  min?: number;
  /** The unit named in the message, e.g. `milliseconds`. */
  unit?: string;
  /** @default 'option' */
  source?: ValueSource;
}

/** The one whole-number check of options and arguments: an `AxessOptionsError` / `AxessArgumentError` naming `name` unless a safe integer ≥ `min`. */
export function assertWholeNumber(value: unknown, name: string, rule: WholeNumberRule = {}): asserts value is number {
  const { min = 1, unit, source = 'option' } = rule;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return;
  const message = `must be a whole number${unit ? ` of ${unit}` : ''}, at least ${min}.`;
  throw source === 'option' ? new AxessOptionsError(name, message) : new AxessArgumentError(name, message);
}
