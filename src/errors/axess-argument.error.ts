import { AxessError } from './axess.error.js';

/** A value handed to the library at run time (a method's argument, a callback's result) is invalid; the message names it. */
export class AxessArgumentError extends AxessError {
  constructor(
    /** The argument's name, e.g. `ttlMs` or `maxSessionsPerUser(user)`. */
    readonly argument: string,
    message: string,
  ) {
    super(`Invalid argument \`${argument}\`: ${message}`);
  }
}
