import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { AXESS_RECENT_AUTH_MAX_AGE, RecentAuthGuard } from './recent-auth.guard.js';
import { assertWholeNumber } from '../errors/whole-number.js';

/**
 * Requires a recent authentication on a route or a whole controller (step-up before sensitive
 * actions, ASVS 7.5): the session must be signed in and its last authentication at most
 * `maxAgeMs` old, else 401 `{ reason: 'reauthentication-required' }` (or the usual 401 when not
 * signed in). Applies `RecentAuthGuard` itself, like `@UseGuards`; the route's value wins over the
 * controller's. After the app checks the password again, `AxessSessionService.confirmAuthentication(req)`
 * makes the session's authentication fresh.
 *
 * @example
 * @Post('sessions/revoke-others')
 * @RequireRecentAuth(5 * 60_000)
 * revokeOthers(@CurrentSession() session: AxessSession) {}
 */
export function RequireRecentAuth(maxAgeMs: number): ClassDecorator & MethodDecorator {
  // Checked when the class is defined: a bad age fails at startup, not at the first request.
  assertWholeNumber(maxAgeMs, 'RequireRecentAuth(maxAgeMs)', { unit: 'milliseconds' });
  return applyDecorators(SetMetadata(AXESS_RECENT_AUTH_MAX_AGE, maxAgeMs), UseGuards(RecentAuthGuard));
}
