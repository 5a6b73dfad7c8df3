import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** A signed-in user as the sample's auth code sees it (`req.user`). */
export interface SampleUser {
  id: string;
  username: string;
}

interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

interface StoredUser extends SampleUser, PasswordHash {}

/** Length of the scrypt output; node's default cost (N = 16384, r = 8, p = 1) for every hash. */
const HASH_BYTES = 32;

/** A hash of a random password nobody knows, made once like the users' own. */
function hashOf(password: string): PasswordHash {
  const salt = randomBytes(16);
  return { salt, hash: scryptSync(password, salt, HASH_BYTES) };
}

/** scrypt on libuv's thread pool: the event loop keeps serving other requests meanwhile. */
function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, HASH_BYTES, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Two demo users, `alice` and `bob`, with passwords `alice-password` and `bob-password`. */
@Injectable()
export class UsersService {
  private readonly users = new Map<string, StoredUser>(
    ['alice', 'bob'].map((name) => [name, { id: name, username: name, ...hashOf(`${name}-password`) }]),
  );

  /** What an unknown username is checked against, so that it costs the same scrypt as a known one. */
  private readonly dummy: PasswordHash = hashOf(randomBytes(32).toString('base64url'));

  /**
   * The user if the password matches, else null. Every call runs one scrypt of the same cost,
   * off the event loop, and one constant-time comparison, whether the username exists or not and
   * whatever the types of the inputs: the answer time does not tell which usernames exist.
   */
  async verify(username: unknown, password: unknown): Promise<SampleUser | null> {
    const user = typeof username === 'string' ? this.users.get(username) : undefined;
    const target = user ?? this.dummy;
    const candidate = await scryptAsync(typeof password === 'string' ? password : '', target.salt);
    const matches = timingSafeEqual(candidate, target.hash);
    return user && matches && typeof password === 'string' ? { id: user.id, username: user.username } : null;
  }
}
