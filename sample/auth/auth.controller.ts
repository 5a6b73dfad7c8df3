import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { rotateCsrfToken } from '../web/csrf.token';
import { SameOriginGuard } from './same-origin.guard';
import { SignInThrottledFilter } from './sign-in-throttle';
import { isOwnHandle } from './own-handle';
import { Reauthentication } from './reauthentication';
import { isRecentlyAuthenticated, REAUTH_MAX_AGE_MS, ReauthenticationRequiredException } from './recent-auth';
import {
  AxessAuthenticatedGuard,
  AxessSessionService,
  Clock,
  MaxSessionsGuard,
  CurrentSession,
  RequireRecentAuth,
  type AxessSession,
} from '@axess/nestjs-session';

/**
 * Sign-in and session management. Login composes passport-local (authentication, with failed
 * sign-ins limited per ip and per username) with MaxSessionsGuard (rotate the id, bind the user,
 * evict the oldest sessions beyond the cap; `"rememberMe": true` in the body, read by the module's
 * default `rememberMe.from`, makes the session a remembered one with a persistent cookie). Signing other devices out needs an authentication
 * at most `REAUTH_MAX_AGE_MS` old (401 `reauthentication-required`); `POST /auth/reauthenticate`
 * confirms the password.
 */
@Controller('auth')
@UseGuards(SameOriginGuard)
export class AuthController {
  constructor(
    private readonly sessions: AxessSessionService,
    private readonly reauthentication: Reauthentication,
    private readonly clock: Clock,
  ) {}

  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthGuard('local'), MaxSessionsGuard)
  @UseFilters(SignInThrottledFilter)
  login(@CurrentSession() session: AxessSession) {
    // A CSRF token carried over from the anonymous session (planted before the login) is replaced.
    rotateCsrfToken(session);
    // The session's public handle, never its id: the id is the secret inside the cookie.
    return { userId: session.userId, handle: this.sessions.sessionHandle(session.id!) };
  }

  /** "Confirm your password": `{ password }`; the session gets a new id and a fresh authentication. 401 on a wrong password. */
  @Post('reauthenticate')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  @UseFilters(SignInThrottledFilter)
  async reauthenticate(@Req() req: object, @Body() body: { password?: unknown } | undefined, @CurrentSession() session: AxessSession) {
    await this.reauthentication.confirm(req, body?.password);
    return { userId: session.userId, handle: this.sessions.sessionHandle(session.id!) };
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  list(@CurrentSession() session: AxessSession) {
    return this.sessions.listSessions(session.userId!, session.id);
  }

  /**
   * Revokes one of the user's sessions, named by the `handle` `GET /auth/sessions` lists. Revoking
   * the current one signs this client out like `POST /auth/logout`: the record is deleted and the
   * response clears the cookie. Revoking another device needs a recent authentication, like
   * `@RequireRecentAuth`. A handle that is not one of this user's live sessions: 404.
   */
  @Delete('sessions/:handle')
  @UseGuards(AxessAuthenticatedGuard)
  async revoke(@CurrentSession() session: AxessSession, @Param('handle') handle: string, @Req() req: unknown) {
    if (isOwnHandle(this.sessions, session, handle)) {
      await this.sessions.logout(req);
      return { revoked: handle };
    }
    if (!isRecentlyAuthenticated(session, this.clock, REAUTH_MAX_AGE_MS)) throw new ReauthenticationRequiredException();
    if (!(await this.sessions.revokeByHandle(session.userId!, handle))) {
      throw new NotFoundException({ message: 'No such session.' });
    }
    return { revoked: handle };
  }

  /** "Sign out my other devices": the current session stays. */
  @Post('sessions/revoke-others')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  @RequireRecentAuth(REAUTH_MAX_AGE_MS)
  async revokeOthers(@CurrentSession() session: AxessSession) {
    // How many, not which: the ids never leave the server.
    return { revoked: (await this.sessions.revokeOthers(session.userId!, session.id!)).length };
  }

  /** Signs out every device, this one included (e.g. after a password change). */
  @Post('logout-all')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  @RequireRecentAuth(REAUTH_MAX_AGE_MS)
  async logoutAll(@CurrentSession() session: AxessSession) {
    return { revoked: (await this.sessions.revokeAll(session.userId!)).length };
  }

  @Post('logout')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  async logout(@Req() req: unknown) {
    await this.sessions.logout(req);
    return { loggedOut: true };
  }
}
