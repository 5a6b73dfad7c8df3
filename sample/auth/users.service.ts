import { Injectable } from '@nestjs/common';
import { timingSafeEqual, scryptSync, randomBytes } from 'node:crypto';

/** A signed-in user as the sample's auth code sees it (`req.user`). */
export interface SampleUser {
  id: string;
  username: string;
}

interface StoredUser extends SampleUser {
  salt: Buffer;
  hash: Buffer;
}

/** Two demo users, `alice` and `bob`, with passwords `alice-password` and `bob-password`. */
@Injectable()
export class UsersService {
  private readonly users = new Map<string, StoredUser>(
    ['alice', 'bob'].map((name) => {
      const salt = randomBytes(16);
      return [name, { id: name, username: name, salt, hash: scryptSync(`${name}-password`, salt, 32) }];
    }),
  );

  /** The user if the password matches (constant-time), else null. */
  verify(username: string, password: string): SampleUser | null {
    const user = this.users.get(username);
    if (!user || typeof password !== 'string') return null;
    const candidate = scryptSync(password, user.salt, 32);
    return timingSafeEqual(candidate, user.hash) ? { id: user.id, username: user.username } : null;
  }
}
