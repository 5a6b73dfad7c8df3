import { Body, Controller, Get, HttpException, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AxessSessionService, Clock, MaxSessionsGuard, CurrentSession, type AxessSession } from '@axess/nestjs-session';
import { isOwnHandle } from '../auth/own-handle';
import { Reauthentication } from '../auth/reauthentication';
import { isRecentlyAuthenticated, REAUTH_MAX_AGE_MS } from '../auth/recent-auth';
import type { IncomingHttpHeaders } from 'node:http';
import { CsrfGuard, SignInCsrfGuard } from './csrf.guard';
import { csrfTokenFor, rotateCsrfToken } from './csrf.token';
import { devicesPage } from './devices.page';
import { DEVICES_SCRIPT, DEVICES_SCRIPT_PATH } from './devices-live.script';
import { endedReasonMessage } from './ended-reason.messages';
import { PageResponder } from './page.responder';
import { PagesExceptionFilter } from './pages.filter';
import { reauthenticatePage } from './reauthenticate.page';
import { SignInCsrf } from './sign-in-csrf';
import { SignInFailedFilter } from './sign-in-failed.filter';
import { signInPage } from './sign-in.page';
import { SignedInFormGuard } from './signed-in-form.guard';

/**
 * The sample's two pages, rendered on the server: a sign-in form and "your devices". Every state
 * change is a form POST behind a CSRF guard answered by a 303, so a reload never re-posts.
 * Showing the sign-in form to an anonymous visitor writes nothing to the session store: its
 * CSRF token is stateless (`SignInCsrf`).
 */
@Controller()
@UseFilters(PagesExceptionFilter)
export class PagesController {
  constructor(
    private readonly sessions: AxessSessionService,
    private readonly responder: PageResponder,
    private readonly signInCsrf: SignInCsrf,
    private readonly reauthentication: Reauthentication,
    private readonly clock: Clock,
  ) {}

  /** Signed in: on to the devices page. Otherwise the sign-in form (saying why a session ended). */
  @Get()
  start(@CurrentSession() session: AxessSession, @Req() req: PageRequest, @Res({ passthrough: true }) res: unknown): string {
    if (session.isAuthenticated) return this.responder.redirect(res, '/devices');
    return this.signInForm(session, req, res);
  }

  /** The signed-in user's sessions; the sign-in form for anyone else. */
  @Get('devices')
  async devices(
    @CurrentSession() session: AxessSession,
    @Req() req: PageRequest,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<string> {
    if (!session.isAuthenticated) return this.signInForm(session, req, res);
    const sessions = await this.sessions.listSessions(session.userId!, session.id);
    return this.responder.page(res, devicesPage({ userId: session.userId!, sessions, csrfToken: csrfTokenFor(session) }));
  }

  /** The devices page's script (see `devices-live.script.ts`). */
  @Get(DEVICES_SCRIPT_PATH)
  script(@Res({ passthrough: true }) res: unknown): string {
    this.responder.setHeader(res, 'Content-Type', 'text/javascript; charset=utf-8');
    this.responder.setHeader(res, 'Cache-Control', 'no-cache');
    this.responder.setHeader(res, 'X-Content-Type-Options', 'nosniff');
    return DEVICES_SCRIPT;
  }

  /**
   * The same composition as `POST /auth/login`, with a CSRF check first; failures re-render the
   * form. The signed-in session gets a new CSRF token (none from before the login survives), and
   * the sign-in cookie, of no use any more, is removed.
   */
  @Post('signin')
  @UseGuards(SignInCsrfGuard, AuthGuard('local'), MaxSessionsGuard)
  @UseFilters(SignInFailedFilter)
  signIn(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): string {
    rotateCsrfToken(session);
    this.responder.setCookie(res, this.signInCsrf.clearCookie());
    return this.responder.redirect(res, '/devices');
  }

  /** "Confirm your password", where the sign-out forms lead when the last authentication is too old. */
  @Get('reauthenticate')
  reauthenticateForm(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): string {
    if (!session.isAuthenticated) return this.responder.redirect(res, '/');
    return this.responder.page(res, reauthenticatePage({ userId: session.userId!, csrfToken: csrfTokenFor(session) }));
  }

  /**
   * Confirms the password (the JSON API's checks and attempt limits): a new session id, a fresh
   * authentication, back to the devices page. A wrong password re-renders the form (401).
   */
  @Post('reauthenticate')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async reauthenticate(
    @CurrentSession() session: AxessSession,
    @Req() req: object,
    @Body() body: { password?: unknown } | undefined,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<string> {
    try {
      await this.reauthentication.confirm(req, body?.password);
    } catch (error) {
      if (!(error instanceof HttpException) || (error.getStatus() !== 401 && error.getStatus() !== 429)) throw error;
      const message = error.getStatus() === 429 ? 'Too many attempts. Try again later.' : 'Wrong password.';
      const page = reauthenticatePage({ userId: session.userId!, csrfToken: csrfTokenFor(session), error: message });
      return this.responder.page(res, page, error.getStatus());
    }
    return this.responder.redirect(res, '/devices');
  }

  /**
   * Signs out one of the user's devices, named by its public handle (the page never shows an id).
   * A handle that is not one of the user's live sessions changes nothing; this device's own
   * handle signs it out like "sign out" (its cookie is cleared).
   */
  @Post('devices/revoke/:handle')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async revoke(
    @CurrentSession() session: AxessSession,
    @Param('handle') handle: string,
    @Req() req: unknown,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<string> {
    if (isOwnHandle(this.sessions, session, handle)) {
      await this.sessions.logout(req);
      return this.responder.redirect(res, '/');
    }
    if (!this.recent(session)) return this.responder.redirect(res, '/reauthenticate');
    await this.sessions.revokeByHandle(session.userId!, handle);
    return this.responder.redirect(res, '/devices');
  }

  /** "Sign out all other devices": this one stays. */
  @Post('devices/revoke-others')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async revokeOthers(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): Promise<string> {
    if (!this.recent(session)) return this.responder.redirect(res, '/reauthenticate');
    await this.sessions.revokeOthers(session.userId!, session.id!);
    return this.responder.redirect(res, '/devices');
  }

  /** Signs out this device. */
  @Post('signout')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async signOut(@Req() req: unknown, @Res({ passthrough: true }) res: unknown): Promise<string> {
    await this.sessions.logout(req);
    return this.responder.redirect(res, '/');
  }

  /** Signs out every device, this one included; this one's cookie is cleared too. */
  @Post('signout-everywhere')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async signOutEverywhere(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): Promise<string> {
    if (!this.recent(session)) return this.responder.redirect(res, '/reauthenticate');
    await this.sessions.revokeAll(session.userId!);
    session.destroy();
    return this.responder.redirect(res, '/');
  }

  /** Signing other devices out needs an authentication at most `REAUTH_MAX_AGE_MS` old (the JSON API's `@RequireRecentAuth`). */
  private recent(session: AxessSession): boolean {
    return isRecentlyAuthenticated(session, this.clock, REAUTH_MAX_AGE_MS);
  }

  /** The sign-in form, with a stateless CSRF token bound to the browser's sign-in cookie. */
  private signInForm(session: AxessSession, req: PageRequest, res: unknown): string {
    const { token, setCookie } = this.signInCsrf.issue(req.headers.cookie);
    this.responder.setCookie(res, setCookie);
    return this.responder.page(res, signInPage({ csrfToken: token, endedMessage: endedReasonMessage(session.endedReason) }));
  }
}

/** What the pages read from an Express or Fastify request. */
interface PageRequest {
  headers: IncomingHttpHeaders;
}
