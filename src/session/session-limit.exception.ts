import { ConflictException } from '@nestjs/common';

/** The `reason` of the 409 that refuses a sign-in beyond the cap. */
export const SESSION_LIMIT = 'session-limit';

/** The GraphQL error code of that refusal (graphql-js copies `extensions` from the thrown error). */
export const CONFLICT = 'CONFLICT';

/**
 * A sign-in refused because the user's sessions already fill the cap and the policy is
 * `onSessionLimit: 'refuse'`: `409 { statusCode: 409, message: 'Conflict', reason: 'session-limit' }`,
 * and in a GraphQL resolver an error with `extensions: { code: 'CONFLICT', reason: 'session-limit' }`
 * (the same shape as the library's 401s, so Apollo and Mercurius need nothing of the library).
 * Nothing changed: no new session, no cookie, the request's previous session as it was.
 */
export class AxessSessionLimitException extends ConflictException {
  readonly extensions: { code: string; reason: string } = { code: CONFLICT, reason: SESSION_LIMIT };

  constructor() {
    super({ statusCode: 409, message: 'Conflict', reason: SESSION_LIMIT });
  }
}
