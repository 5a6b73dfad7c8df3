import { Controller, Get, UseGuards } from '@nestjs/common';
import { AxessAuthenticatedGuard, AxessSession, CurrentSession } from '@axess/nestjs-session';

// What the switch makes possible: the library's guard says why a session ended.
@Controller('me')
export class SessionController {
  @Get('session')
  @UseGuards(AxessAuthenticatedGuard)
  session(@CurrentSession() session: AxessSession) {
    return { userId: session.userId };
  }
}
