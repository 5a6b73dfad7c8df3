import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { findAxessSession } from '@axess/nestjs-session';
import { SignInRequiredException } from './page.exceptions';

/**
 * Device-page forms need a signed-in session. Checked before the CSRF token: a tab whose session
 * was evicted or revoked has no token any more, and should be told why it was signed out rather
 * than that its form was refused.
 */
@Injectable()
export class SignedInFormGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (findAxessSession(context.switchToHttp().getRequest())?.isAuthenticated) return true;
    throw new SignInRequiredException();
  }
}
