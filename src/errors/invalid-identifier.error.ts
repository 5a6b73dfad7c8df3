import { AxessError } from './axess.error.js';

/** A session id or user id that cannot be used to build a key. The value itself is never echoed. */
export class InvalidIdentifierError extends AxessError {
  constructor(
    /** Which identifier was refused. */
    readonly identifier: 'sessionId' | 'userId',
    reason: string,
  ) {
    super(`Invalid ${identifier}: ${reason}`);
  }
}
