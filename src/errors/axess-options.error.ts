import { AxessError } from './axess.error.js';

/** An option given to the module or a constructor is missing or invalid; the message names it. */
export class AxessOptionsError extends AxessError {
  constructor(
    /** The option's name, e.g. `encryptionKey` or `cookie.name`. */
    readonly option: string,
    message: string,
  ) {
    super(`Invalid axess option \`${option}\`: ${message}`);
  }
}
