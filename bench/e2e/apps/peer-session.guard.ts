import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** The peer apps' "signed in" check: a user id in the session, as express-session apps do it. */
@Injectable()
export class PeerSessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ session?: { userId?: string } }>();
    if (!req.session?.userId) throw new UnauthorizedException();
    return true;
  }
}
