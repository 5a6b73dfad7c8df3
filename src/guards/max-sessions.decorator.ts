import { SetMetadata } from '@nestjs/common';
import { assertMaxSessions } from '../registry/registry-limits.js';
import type { MaxSessionsSetting } from '../session/login-policy.js';

/** Metadata key of `@MaxSessions()`. */
export const AXESS_MAX_SESSIONS = 'axess:max-sessions';

/**
 * Overrides the module's `maxSessionsPerUser` for a login route or a whole controller
 * (the route's value wins over the controller's). Read by `MaxSessionsGuard`. Takes a number,
 * or a function of the authenticated user and the execution context.
 *
 * @example
 * @Post('admin/login')
 * @MaxSessions(1)
 * @UseGuards(AuthGuard('local'), MaxSessionsGuard)
 * adminLogin() {}
 *
 * @example
 * @MaxSessions((user: User) => (user.roles.includes('admin') ? 1 : 5))
 */
export function MaxSessions(max: MaxSessionsSetting): ClassDecorator & MethodDecorator {
  // Checked when the class is defined: a bad cap fails at startup, not at the first login.
  if (typeof max !== 'function') assertMaxSessions(max);
  return SetMetadata(AXESS_MAX_SESSIONS, max);
}
