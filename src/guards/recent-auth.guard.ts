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
 * Applied by `@RequireRecentAuth(maxAgeMs)`: lets a request through only if its session is signed
 * in (else `AxessAuthenticatedGuard`'s answer) and its `authenticatedAt` is at most `maxAgeMs` old
 * by the module's `Clock`; else 401 `{ reason: 'reauthentication-required' }` (GraphQL: the same
 * `extensions.reason`). On a WebSocket the socket is closed with 4002 and that reason (socket.io:
 * `axess:socket-closed`); the session stays valid.
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
