import type { Clock } from '../clock/clock.js';
import type { SessionHandles } from '../crypto/session-handle.js';
import { isSessionId } from '../crypto/session-id.js';
import type { SessionRegistry } from '../registry/session-registry.js';
import type { SessionLifetime } from '../store/session-lifetime.js';
import type { SessionStore } from '../store/session-store.js';
import type { SessionInfo } from './session-info.js';

/** What listing a user's sessions needs from the service. */
export interface SessionListingDeps {
  store: SessionStore;
  registry: SessionRegistry;
  clock: Clock;
  lifetime: SessionLifetime;
  handles: SessionHandles;
  /** Runs a backend call, turning its failure into the service's 503. */
  backend: <T>(operation: () => Promise<T>) => Promise<T>;
}

/**
 * The user's live sessions, oldest first, each named by its public handle (never its id).
 * `lastSeenAt` is derived from the remaining idle time (each request slides it), so listing costs
 * two round trips and requests write nothing.
 */
export async function listUserSessions(deps: SessionListingDeps, userId: string, currentSessionId?: string): Promise<SessionInfo[]> {
  const { store, registry, clock, lifetime, handles, backend } = deps;
  handles.assertConfigured(); // before any round trip
  const ids = (await backend(() => registry.members(userId))).map((m) => m.sessionId).filter(isSessionId);
  if (ids.length === 0) return [];
  // Reads without refresh (listing is not activity), all issued together.
  const [records, ttls] = await backend(() => Promise.all([Promise.all(ids.map((id) => store.load(id))), store.remainingTtl(ids)]));
  const now = clock.nowMs();
  const sessions: SessionInfo[] = [];
  ids.forEach((id, i) => {
    const record = records[i];
    const remaining = ttls.get(id);
    // A member whose record is gone, over, or bound to someone else is not this user's session.
    if (!record || remaining === undefined || record.userId !== userId || lifetime.isOver(record, now)) return;
    const lastSeen = Math.min(now, Math.max(record.createdAt, now - (lifetime.idleTimeoutFor(record) - remaining)));
    sessions.push({
      handle: handles.of(id),
      current: id === currentSessionId,
      createdAt: new Date(record.createdAt),
      ...(record.authenticatedAt === undefined ? {} : { authenticatedAt: new Date(record.authenticatedAt) }),
      lastSeenAt: new Date(lastSeen),
      ...(record.ip === undefined ? {} : { ip: record.ip }),
      ...(record.userAgent === undefined ? {} : { userAgent: record.userAgent }),
    });
  });
  return sessions;
}
