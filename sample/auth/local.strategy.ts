import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { UsersService, type SampleUser } from './users.service';

/** passport-local: `{ "username", "password" }` in the JSON body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super();
  }

  validate(username: string, password: string): SampleUser {
    const user = this.users.verify(username, password);
    if (!user) throw new UnauthorizedException({ message: 'Invalid username or password.' });
    return user;
  }
}
