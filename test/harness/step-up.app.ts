import { Controller, Get, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { AxessSession, AxessSessionService, CurrentSession, RequireRecentAuth } from '../../src/internal';
import { requestGates } from './request-gate';

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

  /** A confirmation held at the gate its `x-gate` header names once its session is loaded (the test ends the session meanwhile). */
  @Post('held-confirm')
  @HttpCode(200)
  async heldConfirm(@Req() req: unknown, @Headers('x-gate') gate: string) {
    await requestGates.get(gate)?.hold();
    return this.sessions.confirmAuthentication(req);
  }
}
