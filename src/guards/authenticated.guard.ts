import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AxessSession } from '../http/axess-session.js';
import { sessionCarrier, type SessionContextType } from '../http/session-carrier.js';
import { AxessSessionNotMountedError, findAxessSession } from '../http/session-request.js';
import { AxessUnauthorizedException } from '../http/unauthorized.exception.js';

/**
 * Lets a request through only if its session is bound to a user; otherwise 401, with the reason
 * when the server knows why the session ended (`{ ..., reason: 'evicted:newer-sign-in' }`).
 * Works on HTTP routes, GraphQL resolvers (`extensions.code` `UNAUTHENTICATED`) and WebSocket
 * message handlers (the message is refused; the socket is closed with 4001).
 *
 * @example
 * @Get('me')
 * @UseGuards(AxessAuthenticatedGuard)
 * me(@CurrentSession() session: AxessSession) {
 *   return { userId: session.userId, sessionId: session.id };
 * }
 */
@Injectable()
export class AxessAuthenticatedGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { type, request } = sessionCarrier(context, 'AxessAuthenticatedGuard');
    return signedInSession(type, request) !== undefined;
  }
}

/** The signed-in session of `request`; else a 401 with the end reason, or `undefined` on a socket (it is being closed). */
export function signedInSession(type: SessionContextType, request: unknown): AxessSession | undefined {
  const session = findAxessSession(request);
  if (session?.isAuthenticated) return session;
  // A socket without a session was not admitted by AxessWsAdapter: a wiring mistake, said plainly.
  if (type === 'ws' && !session) throw new AxessSessionNotMountedError(type);
  // On a socket, Nest answers a refusal with its WsException; the socket is being closed (4001).
  if (type === 'ws') return undefined;
  throw new AxessUnauthorizedException(session?.endedReason);
}
