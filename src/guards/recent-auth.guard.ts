import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Clock } from '../clock/clock.js';
import { sessionCarrier } from '../http/session-carrier.js';
import { closeSocketOf, REAUTHENTICATION_CLOSE_CODE } from '../http/socket-closer.js';
import { AxessUnauthorizedException } from '../http/unauthorized.exception.js';
import { signedInSession } from './authenticated.guard.js';

/** Metadata key of `@RequireRecentAuth()`'s maximum age, in milliseconds. */
export const AXESS_RECENT_AUTH_MAX_AGE = 'axess:recent-auth-max-age';

/** The `reason` of the 401 when the session's last authentication is older than the route allows. */
export const REAUTHENTICATION_REQUIRED = 'reauthentication-required';

/**
 * Lets a request through only if its session is signed in and its last authentication
 * (`authenticatedAt`: the sign-in, or `AxessSessionService.confirmAuthentication`) is at most
 * `@RequireRecentAuth(maxAgeMs)` old by the module's `Clock`. A route without that metadata
 * passes. Applied by `@RequireRecentAuth()` itself.
 *
 * Refusals: a session not signed in gets `AxessAuthenticatedGuard`'s answer (401, with the end
 * reason when known); an old authentication gets 401
 * `{ statusCode: 401, message: 'Unauthorized', reason: 'reauthentication-required' }`, on GraphQL
 * `extensions: { code: 'UNAUTHENTICATED', reason: 'reauthentication-required' }`. On a WebSocket
 * (`AxessWsAdapter`, `AxessIoAdapter`) the message is refused and the socket closed with code 4002
 * and reason `reauthentication-required` (socket.io: the `axess:socket-closed` event with that
 * reason, then a disconnect): a refused message has no answer the `ws` protocol carries, and the
 * client learns why. The session stays valid: the client confirms the password and reconnects.
 */
@Injectable()
export class RecentAuthGuard implements CanActivate {
  constructor(
    /** Reads `@RequireRecentAuth()` from the route and its controller. */
    protected readonly reflector: Reflector,
    /** The module's clock: the age of an authentication is measured on it. */
    protected readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const maxAgeMs = this.reflector.getAllAndOverride<number | undefined>(AXESS_RECENT_AUTH_MAX_AGE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (maxAgeMs === undefined) return true;
    const { type, request } = sessionCarrier(context, 'RecentAuthGuard');
    const session = signedInSession(type, request);
    if (!session) return false;
    const at = session.authenticatedAt?.getTime();
    // A record without authenticatedAt (written before it existed) counts as too old: step up once.
    if (at !== undefined && this.clock.nowMs() - at <= maxAgeMs) return true;
    if (type === 'ws') {
      closeSocketOf(request, REAUTHENTICATION_CLOSE_CODE, REAUTHENTICATION_REQUIRED);
      return false;
    }
    throw new AxessUnauthorizedException(REAUTHENTICATION_REQUIRED);
  }
}
