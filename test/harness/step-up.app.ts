import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { AxessSession, AxessSessionService, CurrentSession, RequireRecentAuth } from '../../src/internal';

/** How recent an authentication `/step-up/sensitive` wants, in milliseconds. */
export const STEP_UP_MAX_AGE_MS = 60_000;

/** Routes of the step-up tests: one behind `@RequireRecentAuth`, one that confirms the password. */
@Controller('step-up')
export class StepUpController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get('sensitive')
  @RequireRecentAuth(STEP_UP_MAX_AGE_MS)
  sensitive(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }

  /** Stands for "the app checked the password again". */
  @Post('confirm')
  @HttpCode(200)
  confirm(@Req() req: unknown) {
    return this.sessions.confirmAuthentication(req);
  }
}
