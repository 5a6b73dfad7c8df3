import type { ExecutionContext } from '@nestjs/common';
import type { SessionLimitPolicy } from '../registry/session-limit.js';
import { defaultRememberMeFrom, type RememberMeReader } from './remember-me.js';

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
 * happens when the cap is full or admission fails, what is recorded, how user ids are read, and how long the
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
    /** `onSessionLimit`: what a login does when the cap is full. */
    readonly onSessionLimit: SessionLimitPolicy = 'evict-oldest',
    /** `rememberMe.from`: whether a sign-in's request asked to be remembered. */
    readonly rememberMeFrom: RememberMeReader = defaultRememberMeFrom,
  ) {}
}
