import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AxessSessionService, MaxSessionsGuard, CurrentSession, type AxessSession } from '@axess/nestjs-session';
import { CsrfGuard } from './csrf.guard';
import { csrfTokenFor, rotateCsrfToken } from './csrf.token';
import { devicesPage } from './devices.page';
import { endedReasonMessage } from './ended-reason.messages';
import { PageResponder } from './page.responder';
import { PagesExceptionFilter } from './pages.filter';
import { SignInFailedFilter } from './sign-in-failed.filter';
import { signInPage } from './sign-in.page';
import { SignedInFormGuard } from './signed-in-form.guard';

/**
 * The sample's two pages, rendered on the server: a sign-in form and "your devices". Every state
 * change is a form POST behind `CsrfGuard` answered by a 303, so a reload never re-posts.
 */
@Controller()
@UseFilters(PagesExceptionFilter)
export class PagesController {
  constructor(
    private readonly sessions: AxessSessionService,
    private readonly responder: PageResponder,
  ) {}

  /** Signed in: on to the devices page. Otherwise the sign-in form (saying why a session ended). */
  @Get()
  start(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): string {
    if (session.isAuthenticated) return this.responder.redirect(res, '/devices');
    return this.signInForm(session, res);
  }

  /** The signed-in user's sessions; the sign-in form for anyone else. */
  @Get('devices')
  async devices(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): Promise<string> {
    if (!session.isAuthenticated) return this.signInForm(session, res);
    const sessions = await this.sessions.listSessions(session.userId!, session.id);
    return this.responder.page(res, devicesPage({ userId: session.userId!, sessions, csrfToken: csrfTokenFor(session) }));
  }

  /** The same composition as `POST /auth/login`, with a CSRF check first; failures re-render the form. */
  @Post('signin')
  @UseGuards(CsrfGuard, AuthGuard('local'), MaxSessionsGuard)
  @UseFilters(SignInFailedFilter)
  signIn(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): string {
    rotateCsrfToken(session);
    return this.responder.redirect(res, '/devices');
  }

  /** Signs out one of the user's other devices. An id that is not the user's live session changes nothing. */
  @Post('devices/revoke/:id')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async revoke(@CurrentSession() session: AxessSession, @Param('id') id: string, @Res({ passthrough: true }) res: unknown): Promise<string> {
    await this.sessions.revokeSession(session.userId!, id);
    return this.responder.redirect(res, '/devices');
  }

  /** "Sign out all other devices": this one stays. */
  @Post('devices/revoke-others')
  @UseGuards(SignedInFormGuard, CsrfGuard)
  async revokeOthers(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown): Promise<string> {
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
    await this.sessions.revokeAll(session.userId!);
    session.destroy();
    return this.responder.redirect(res, '/');
  }

  private signInForm(session: AxessSession, res: unknown): string {
    return this.responder.page(res, signInPage({ csrfToken: csrfTokenFor(session), endedMessage: endedReasonMessage(session.endedReason) }));
  }
}
