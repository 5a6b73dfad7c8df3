import { ConflictException } from '@nestjs/common';
import { AxessError } from '../errors/axess.error.js';
import type { AxessGraphqlExtensions } from '../errors/graphql-extensions.js';

/** The `reason` of the 409 that refuses a sign-in beyond the cap. */
export const SESSION_LIMIT = 'session-limit';

/** The GraphQL error code of that refusal (graphql-js copies `extensions` from the thrown error). */
export const CONFLICT = 'CONFLICT';

/**
 * A sign-in refused because the user's sessions already fill the cap and the policy is
 * `onSessionLimit: 'refuse'`: `409 { statusCode: 409, message: 'Conflict', reason: 'session-limit' }`,
 * and, thrown by `MaxSessionsGuard` in a GraphQL resolver as {@link AxessSessionLimitGraphqlError},
 * an error with `extensions: { code: 'CONFLICT', reason: 'session-limit' }`.
 * Nothing changed: no new session, no cookie, the request's previous session as it was.
 */
export class AxessSessionLimitException extends ConflictException {
  /** Why the sign-in was refused: `session-limit`. */
  readonly reason = SESSION_LIMIT;
  /** The GraphQL error's `extensions`: `{ code: 'CONFLICT', reason: 'session-limit' }`. */
  readonly extensions: AxessGraphqlExtensions = { code: CONFLICT, reason: SESSION_LIMIT };

  constructor() {
    super({ statusCode: 409, message: 'Conflict', reason: SESSION_LIMIT });
  }
}

/**
 * The same refusal for a GraphQL resolver. Not an `HttpException`: `@nestjs/apollo` rewrites
 * every HTTP exception whose status it has no GraphQL code for (409 among them) into
 * `INTERNAL_SERVER_ERROR`, whereas a plain error's `extensions` reach the client as they are, on
 * Apollo and Mercurius alike. `MaxSessionsGuard` throws this one in a GraphQL context.
 */
export class AxessSessionLimitGraphqlError extends AxessError {
  /** Why the sign-in was refused: `session-limit`. */
  readonly reason = SESSION_LIMIT;
  /** The GraphQL error's `extensions`: `{ code: 'CONFLICT', reason: 'session-limit' }`. */
  readonly extensions: AxessGraphqlExtensions = { code: CONFLICT, reason: SESSION_LIMIT };

  constructor() {
    super('Conflict');
  }
}

/** `error`, or the GraphQL form of it when it is the session-limit refusal. */
export function forGraphql(error: unknown): unknown {
  return error instanceof AxessSessionLimitException ? new AxessSessionLimitGraphqlError() : error;
}
