import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { AxessOptionsError, AxessSession, RecentAuthGuard, RequireRecentAuth } from '../../src/internal';
import { attachAxessSession } from '../../src/http/session-request';
import { SessionState } from '../../src/http/session-state';
import { ManualClock } from '../../src/testing';

const NOW = Date.UTC(2032, 0, 1);
const MAX_AGE_MS = 60_000;
const ID = 'a'.repeat(43);

class Routes {
  @RequireRecentAuth(MAX_AGE_MS)
  sensitive(this: void): void {}
}

/** A `ws` execution context of `Routes.sensitive` whose socket carries a session authenticated at `authenticatedAt`. */
function wsContext(authenticatedAt: number | undefined, userId: string | null = 'alice'): ExecutionContext {
  const socket = {};
  const record = {
    data: {},
    createdAt: NOW - 1000,
    ...(userId ? { userId } : {}),
    ...(authenticatedAt === undefined ? {} : { authenticatedAt }),
  };
  attachAxessSession(socket, new AxessSession(new SessionState(ID, record, () => NOW)));
  return {
    getType: () => 'ws',
    getHandler: () => Routes.prototype.sensitive,
    getClass: () => Routes,
    switchToWs: () => ({ getClient: () => socket }),
  } as unknown as ExecutionContext;
}

describe('RequireRecentAuth / RecentAuthGuard', () => {
  const clock = new ManualClock(NOW);
  const guard = new RecentAuthGuard(new Reflector(), clock);

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxAgeMs %p when the class is defined', (bad) => {
    expect(() => RequireRecentAuth(bad)).toThrow(AxessOptionsError);
  });

  it('on a WebSocket, lets a message through up to the maximum age and refuses it after, without throwing', () => {
    expect(guard.canActivate(wsContext(NOW - MAX_AGE_MS))).toBe(true);
    expect(guard.canActivate(wsContext(NOW - MAX_AGE_MS - 1))).toBe(false);
  });

  it('on a WebSocket, refuses a session without authenticatedAt or without a user', () => {
    expect(guard.canActivate(wsContext(undefined))).toBe(false);
    expect(guard.canActivate(wsContext(NOW, null))).toBe(false);
  });
});
