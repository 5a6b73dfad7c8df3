import { Controller, Get, UseGuards } from '@nestjs/common';
import { AxessAuthenticatedGuard, AxessSessionService, CurrentSession, type AxessSession } from '@axess/nestjs-session';

/** Who am I, and this session's public handle (never its id): 401 without a signed-in session. */
@Controller()
export class MeController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, handle: this.sessions.sessionHandle(session.id!) };
  }
}
