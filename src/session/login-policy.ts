import type { ExecutionContext } from '@nestjs/common';
import { assertMaxSessions } from '../registry/registry-limits.js';

/**
 * A cap computed per login, e.g. admins 1 and everyone else 5. `user` is what the app's
 * authentication left on the request (`req.user`); `context` is the guard's execution context
 * (`undefined` when `AxessSessionService.authenticate` is called directly).
 *
 * @example
 * maxSessionsPerUser: (user: User) => (user.roles.includes('admin') ? 1 : 5)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the app's own user type
export type MaxSessionsResolver<TUser = any> = (user: TUser, context: ExecutionContext | undefined) => number | Promise<number>;

/** A cap on sessions per user: a fixed number, or a function of the user and the request. */
export type MaxSessionsSetting = number | MaxSessionsResolver;

/**
 * How logins are completed, from the module's options (provided by the module): the cap, what
 * happens when admission fails, what is recorded, how user ids are read, and how long the
 * "why it ended" markers live.
 */
export class LoginPolicy {
  constructor(
    /** `maxSessionsPerUser`; `undefined` = no cap. */
    readonly maxSessionsPerUser: MaxSessionsSetting | undefined,
    /** Let a login through when admission fails on a backend error. */
    readonly failOpen: boolean,
    /** Record the client's ip and user agent in the session. */
    readonly captureClientInfo: boolean,
    /** Reads the user id from the authenticated user. */
    readonly userIdFrom: (user: unknown) => string | undefined,
    /** How long the marker saying why a session ended is kept. */
    readonly goneMarkerTtlMs: number,
    /** passport session mode: the user id from what `serializeUser` stored. */
    readonly passportUserId: (serialized: unknown) => string | undefined = () => undefined,
  ) {}
}

/** The cap of one login: a number as given, or what the app's function answers for this user. */
export async function capFor(
  setting: MaxSessionsSetting | undefined,
  user: unknown,
  context: ExecutionContext | undefined,
): Promise<number | undefined> {
  if (setting === undefined) return undefined;
  const cap = typeof setting === 'function' ? await setting(user, context) : setting;
  assertMaxSessions(cap);
  return cap;
}
