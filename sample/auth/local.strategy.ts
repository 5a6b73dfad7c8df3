import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SignInThrottle } from './sign-in-throttle';
import { UsersService, type SampleUser } from './users.service';

/**
 * passport-local: `{ "username", "password" }` in the JSON body (or the sign-in form). Failed
 * sign-ins are limited per ip and per username (`SignInThrottle`): once an ip or a username has
 * 10 failures in a minute, its sign-ins answer 429 for a minute, before any password is checked.
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(
    private readonly users: UsersService,
    private readonly throttle: SignInThrottle,
  ) {
    super({ passReqToCallback: true });
  }

  async validate(req: object, username: unknown, password: unknown): Promise<SampleUser> {
    await this.throttle.assertAllowed(req, username);
    const user = await this.users.verify(username, password);
    if (user) return user;
    await this.throttle.recordFailure(req, username);
    throw new UnauthorizedException({ message: 'Invalid username or password.' });
  }
}
