import { Controller, ForbiddenException, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AxessAuthenticatedGuard, AxessSessionService, CurrentSession, type AxessSession } from '@axess/nestjs-session';
import { SameOriginGuard } from '../auth/same-origin.guard';

/** The usernames allowed on the admin routes (`ADMIN_USERS`); none by default. */
export const ADMIN_USERS = Symbol('ADMIN_USERS');

/** Operator actions. The sample has no roles: an admin is a user named in `ADMIN_USERS`. */
@Controller('admin')
@UseGuards(SameOriginGuard)
export class AdminController {
  constructor(
    private readonly sessions: AxessSessionService,
    @Inject(ADMIN_USERS) private readonly admins: readonly string[],
  ) {}

  /** Signs out every user on every instance (e.g. after a suspected key compromise), the caller included. */
  @Post('revoke-everyone')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  async revokeEveryone(@CurrentSession() session: AxessSession) {
    if (!this.admins.includes(session.userId!)) throw new ForbiddenException();
    return { revoked: await this.sessions.revokeEveryone() };
  }
}
