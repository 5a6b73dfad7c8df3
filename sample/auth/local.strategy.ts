import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { SignInThrottle } from './sign-in-throttle';
import { UsersService, type SampleUser } from './users.service';

/**
 * passport-local: `{ "username", "password" }` in the JSON body (or the sign-in form, or the
 * GraphQL mutation's arguments, which its guard puts there). Credentials are read from the body
 * only: passport-local 1.0 has no option to stop reading the query string, so the strategy gives
 * it a view of the request without one. `POST /auth/login?username=…&password=…` signs nobody
 * in: a password in a URL ends up in access logs and browser history.
 *
 * Sign-ins are limited per ip and per username (`SignInThrottle`): each attempt takes its slot
 * before its password is verified, and a success gives it back.
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(
    private readonly users: UsersService,
    private readonly throttle: SignInThrottle,
  ) {
    super({ passReqToCallback: true });
  }

  /** passport-local looks in `req.body`, then in `req.query`: it gets a request whose query is empty. */
  override authenticate(req: object, options?: unknown): void {
    const bodyOnly = Object.create(req, { query: { value: {}, enumerable: true } }) as object;
    super.authenticate(bodyOnly as never, options);
  }

  async validate(req: object, username: unknown, password: unknown): Promise<SampleUser> {
    const reservation = await this.throttle.reserve(req, username);
    const user = await this.users.verify(username, password);
    if (!user) throw new UnauthorizedException({ message: 'Invalid username or password.' });
    await reservation.succeeded();
    return user;
  }
}
