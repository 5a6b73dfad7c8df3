import { getAxessSession } from '../http/session-request.js';
import { AxessUnauthorizedException } from '../http/unauthorized.exception.js';
import type { AuthenticateOptions } from './session-info.js';

/**
 * Marks the options of a confirmation (`AxessSessionService.confirmAuthentication`): the login
 * keeps the user's registry as it is instead of admitting under the cap again, so confirming a
 * password never evicts (or is refused for) another of the user's sessions. @internal
 */
export const CONFIRMATION = Symbol('axess.confirmation');

/** Options carrying {@link CONFIRMATION}. @internal */
export interface ConfirmationFlag {
  [CONFIRMATION]?: true;
}

/**
 * The user of the request's signed-in session, whose authentication is being confirmed; a 401
 * when it is not signed in: there is nobody to confirm (GraphQL `extensions.code` `UNAUTHENTICATED`).
 */
export function confirmingUser(req: unknown): string {
  const session = getAxessSession(req);
  const userId = session.userId;
  if (userId === undefined) throw new AxessUnauthorizedException();
  return userId;
}

/** `options` marked as a confirmation's. @internal */
export function asConfirmation(options: AuthenticateOptions): AuthenticateOptions {
  const marked: AuthenticateOptions & ConfirmationFlag = { ...options, [CONFIRMATION]: true };
  return marked;
}
