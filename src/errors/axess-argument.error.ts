import { AxessError } from './axess.error.js';

/**
 * A value handed to the library at run time is invalid: an argument of a method (a TTL, a load
 * option), or what an app's callback returned (a cap function's result, the clock's time). Not an
 * option: the module booted fine; the message names the argument.
 */
export class AxessArgumentError extends AxessError {
  constructor(
    /** The argument's name, e.g. `ttlMs` or `maxSessionsPerUser(user)`. */
    readonly argument: string,
    message: string,
  ) {
    super(`Invalid argument \`${argument}\`: ${message}`);
  }
}
