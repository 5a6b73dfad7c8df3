import { Controller, Get, UseGuards } from '@nestjs/common';
import { AxessAuthenticatedGuard, CurrentSession, type AxessSession } from '@axess/nestjs-session';

/** Who am I: 401 without a signed-in session. */
@Controller()
export class MeController {
  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }
}
