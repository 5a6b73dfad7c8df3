import type { SessionStore } from '../store/session-store.js';
import type { RegisteredSession } from './session-registry.js';

/**
 * The ids of `members` whose record still exists in `store`, in the members' order (oldest
 * first): what `activeSessions` returns on every backend, so that they cannot drift apart.
 */
export async function liveSessionIds(members: readonly RegisteredSession[], store: SessionStore): Promise<string[]> {
  const ids = members.map((m) => m.sessionId);
  const live = await store.existing(ids);
  return ids.filter((id) => live.has(id));
}
