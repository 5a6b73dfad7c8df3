import { applyDecorators, SetMetadata } from '@nestjs/common';
import { assertMaxSessions } from '../registry/registry-limits.js';
import { assertSessionLimitPolicy, type SessionLimitPolicy } from '../registry/session-limit.js';
import type { MaxSessionsSetting } from '../session/login-policy.js';

/** Metadata key of `@MaxSessions()`'s cap. */
export const AXESS_MAX_SESSIONS = 'axess:max-sessions';

/** Metadata key of `@MaxSessions()`'s `onSessionLimit`, set only when given. */
export const AXESS_ON_SESSION_LIMIT = 'axess:on-session-limit';

/** The second argument of `@MaxSessions()`. */
export interface MaxSessionsOptions {
  /**
   * What a sign-in on this route does when the cap is full, overriding the module's
   * `onSessionLimit`: `'evict-oldest'` or `'refuse'` (409 `{ reason: 'session-limit' }`).
   */
  onSessionLimit?: SessionLimitPolicy;
}

/**
 * Overrides the module's `maxSessionsPerUser` (a number, or a function of the user and the
 * execution context) and optionally `onSessionLimit` for a login route or a whole controller,
 * the route's winning; read by `MaxSessionsGuard`.
 *
 * @example
 * @Post('admin/login')
 * @MaxSessions(1, { onSessionLimit: 'refuse' }) // a second admin sign-in is refused, not the first one evicted
 * @UseGuards(AuthGuard('local'), MaxSessionsGuard)
 * adminLogin() {}
 *
 * @example
 * @MaxSessions((user: User) => (user.roles.includes('admin') ? 1 : 5))
 */
export function MaxSessions(max: MaxSessionsSetting, options: MaxSessionsOptions = {}): ClassDecorator & MethodDecorator {
  // Checked when the class is defined: a bad cap or policy fails at startup, not at the first login.
  if (typeof max !== 'function') assertMaxSessions(max);
  const { onSessionLimit } = options;
  if (onSessionLimit === undefined) return SetMetadata(AXESS_MAX_SESSIONS, max);
  assertSessionLimitPolicy(onSessionLimit);
  return applyDecorators(SetMetadata(AXESS_MAX_SESSIONS, max), SetMetadata(AXESS_ON_SESSION_LIMIT, onSessionLimit));
}
