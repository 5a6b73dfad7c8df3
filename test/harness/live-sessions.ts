import type { INestApplicationContext } from '@nestjs/common';
import { SessionRegistry, SessionStore } from '../../src/internal';
import { liveSessionIds } from '../../src/registry/live-sessions';

/** A registry and the store its members' records live in: an app's, or a backend's of a test. */
export type LiveSessionSource = Pick<INestApplicationContext, 'get'> | { registry: SessionRegistry; store: SessionStore };

/** The user's session ids whose record still exists, oldest first: the registry's members as the store sees them. */
export async function liveSessions(source: LiveSessionSource, userId: string): Promise<string[]> {
  const { registry, store } = 'get' in source ? { registry: source.get(SessionRegistry), store: source.get(SessionStore) } : source;
  return liveSessionIds(await registry.members(userId), store);
}
