import { UnauthorizedException } from '@nestjs/common';
import type { AxessSession, Clock } from '@axess/nestjs-session';
import { reauthMaxAgeMsFromEnv } from '../sample.config';

/** How recent an authentication signing other devices out needs (`REAUTH_MAX_AGE_MS`). */
export const REAUTH_MAX_AGE_MS = reauthMaxAgeMsFromEnv();

/** The 401 `@RequireRecentAuth` answers, for the one route that needs a recent authentication only sometimes. */
export class ReauthenticationRequiredException extends UnauthorizedException {
  constructor() {
    super({ statusCode: 401, message: 'Unauthorized', reason: 'reauthentication-required' });
  }
}

/**
 * Whether `session`'s last authentication is at most `maxAgeMs` old on `clock`: what
 * `@RequireRecentAuth(maxAgeMs)` checks, for routes that decide per request (revoking another
 * device needs it, signing out this one does not) and for the pages, which redirect instead.
 */
export function isRecentlyAuthenticated(session: AxessSession, clock: Clock, maxAgeMs: number): boolean {
  const at = session.authenticatedAt?.getTime();
  return at !== undefined && clock.nowMs() - at <= maxAgeMs;
}
