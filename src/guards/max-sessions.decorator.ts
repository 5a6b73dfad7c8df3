import { SetMetadata } from '@nestjs/common';
import { assertMaxSessions } from '../registry/registry.options.js';

/** Metadata key of `@MaxSessions()`. */
export const AXESS_MAX_SESSIONS = 'axess:max-sessions';

/**
 * Overrides the module's `maxSessionsPerUser` for a login route or a whole controller
 * (the route's value wins over the controller's). Read by `MaxSessionsGuard`.
 *
 * @example
 * @Post('admin/login')
 * @MaxSessions(1)
 * @UseGuards(AuthGuard('local'), MaxSessionsGuard)
 * adminLogin() {}
 */
export function MaxSessions(max: number): ClassDecorator & MethodDecorator {
  // Checked when the class is defined: a bad cap fails at startup, not at the first login.
  assertMaxSessions(max);
  return SetMetadata(AXESS_MAX_SESSIONS, max);
}
