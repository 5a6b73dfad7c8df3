import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { findAxessSession } from '../http/session-request.js';

/**
 * Lets a request through only if its session is bound to a user; otherwise 401.
 * An evicted or revoked session has no record, so its very next request is refused; when the
 * server still knows why it ended, the body says so:
 * `{ statusCode: 401, message: 'Unauthorized', reason: 'evicted:newer-sign-in' }`.
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
    const session = findAxessSession(context.switchToHttp().getRequest());
    if (session?.isAuthenticated) return true;
    const reason = session?.endedReason;
    if (reason !== undefined) throw new UnauthorizedException({ statusCode: 401, message: 'Unauthorized', reason });
    throw new UnauthorizedException();
  }
}
