import type { SessionData } from '../codec/session-record.js';
import { mintSessionId } from '../crypto/session-id.js';
import { AxessSession } from '../http/axess-session.js';
import { attachAxessSession } from '../http/session-request.js';
import { SessionState } from '../http/session-state.js';

/** What {@link createTestSession} builds the session from. */
export interface TestSessionInit {
  /** The signed-in user; omit for an anonymous session. */
  userId?: string;
  /** The session data (your `AxessSessionData`, or any keys). */
  data?: SessionData;
  /** The session id. @default a fresh id (the session counts as stored under it) */
  id?: string;
  /** When the session started. @default now */
  createdAt?: Date;
  /** When the user signed in. @default `createdAt` when `userId` is given */
  authenticatedAt?: Date;
  /** A request (or WebSocket client) to attach the session to, for `getAxessSession(req)`, the guards and `@CurrentSession()`. */
  request?: object;
}

/**
 * An `AxessSession` for a unit test of a controller, a service or a gateway, without a module or
 * a store: it works on `data` in memory, and what the code under test changed can be read back.
 *
 * @example
 * const session = createTestSession({ userId: 'alice', data: { cart: { items: [] } } });
 * controller.add(session, 'apple');
 * expect(session.get('cart')).toEqual({ items: ['apple'] });
 */
export function createTestSession(init: TestSessionInit = {}): AxessSession {
  const createdAt = (init.createdAt ?? new Date()).getTime();
  const authenticatedAt = init.authenticatedAt?.getTime() ?? (init.userId === undefined ? undefined : createdAt);
  const record = {
    data: { ...(init.data ?? {}) },
    createdAt,
    ...(init.userId === undefined ? {} : { userId: init.userId }),
    ...(authenticatedAt === undefined ? {} : { authenticatedAt }),
  };
  const session = new AxessSession(new SessionState(init.id ?? mintSessionId(), record, Date.now));
  if (init.request) attachAxessSession(init.request, session);
  return session;
}
