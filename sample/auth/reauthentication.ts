import { Injectable, UnauthorizedException } from '@nestjs/common';
import { AxessSessionService, getAxessSession } from '@axess/nestjs-session';
import { SignInThrottle } from './sign-in-throttle';
import { UsersService } from './users.service';

/**
 * "Confirm your password": checks the password of the signed-in session's user with the users
 * service and the same attempt limits as a sign-in (per ip and per username, 429 once used up),
 * then records a fresh authentication (`confirmAuthentication`: new id, `authenticatedAt` now).
 */
@Injectable()
export class Reauthentication {
  constructor(
    private readonly users: UsersService,
    private readonly throttle: SignInThrottle,
    private readonly sessions: AxessSessionService,
  ) {}

  /** 401 on a wrong password (the session stays as it was), 429 when the attempts are used up. */
  async confirm(req: object, password: unknown): Promise<void> {
    const userId = getAxessSession(req).userId;
    if (userId === undefined) throw new UnauthorizedException();
    // The sample's user ids are their usernames: the attempt counts are the sign-in's own.
    const reservation = await this.throttle.reserve(req, userId);
    const user = await this.users.verify(userId, password);
    if (user?.id !== userId) throw new UnauthorizedException({ message: 'Wrong password.' });
    await reservation.succeeded();
    await this.sessions.confirmAuthentication(req);
  }
}
