import { mintSessionId, ValkeySessionRegistry, ValkeySessionStore, type SessionRecord, type ValkeyClient } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, uniquePrefix } from './valkey';

const DAY = 86_400_000;
const record = (userId: string): SessionRecord => ({ data: {}, createdAt: Date.now(), userId });

/**
 * A Valkey store whose deletions and gone-markers fail while `broken` is set: what a client sees
 * when the admission script ran but its reply, and everything after it, was lost.
 */
class LosingStore extends ValkeySessionStore {
  broken = false;

  override async delete(...ids: string[]): Promise<void> {
    if (this.broken) throw new Error('reply lost');
    return super.delete(...ids);
  }

  override async markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    if (this.broken) throw new Error('reply lost');
    return super.markGone(ids, reason, ttlMs);
  }
}

/** A registry and store on `client` whose post-script deletions can be made to fail, and a sign-in helper. */
export function lostReplyFixture(client: ValkeyClient) {
  const prefix = uniquePrefix('lost');
  const clock = new ManualClock();
  const store = new LosingStore(client, randomKey(), { prefix });
  const registry = new ValkeySessionRegistry(client, { store, clock, prefix });
  const signIn = async (user: string, cap: number): Promise<{ id: string; ended: Promise<string[] | null> }> => {
    const id = mintSessionId();
    clock.advance(1);
    const written = store.save(id, record(user), DAY, { mode: 'create' });
    const ended = registry.admit(user, id, cap, { recordWritten: written, evictionMarker: { reason: 'evicted', ttlMs: DAY } });
    ended.catch(() => undefined);
    await written;
    return { id, ended };
  };
  /** A sign-in whose admission ran but whose reply (and everything after it) was lost: it rejects. */
  const signInLosingReply = async (user: string, cap: number): Promise<{ id: string; ended: Promise<string[] | null> }> => {
    store.broken = true;
    try {
      const lost = await signIn(user, cap);
      await lost.ended.catch(() => undefined);
      return lost;
    } finally {
      store.broken = false;
    }
  };
  return { store, registry, signIn, signInLosingReply };
}
