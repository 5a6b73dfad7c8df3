import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { findAxessSession } from '../http/session-request.js';

/**
 * Lets a request through only if its session is bound to a user; otherwise 401.
 * An evicted or revoked session has no record, so its very next request is refused.
 *
 * @example
 * @Get('me')
 * @UseGuards(AxessAuthenticatedGuard)
 * me(@Session() session: AxessSession) {
 *   return { userId: session.userId, sessionId: session.id };
 * }
 */
@Injectable()
export class AxessAuthenticatedGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const session = findAxessSession(context.switchToHttp().getRequest());
    if (!session?.isAuthenticated) throw new UnauthorizedException();
    return true;
  }
}
