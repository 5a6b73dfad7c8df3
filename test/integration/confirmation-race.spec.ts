import { Redis } from 'iovalkey';
import {
  admitLogin,
  mintSessionId,
  SessionEndReason,
  ValkeySessionRegistry,
  ValkeySessionStore,
  type SessionRecord,
} from '../../src/internal';
import { ManualClock, startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';

const DAY = 86_400_000;
const record = (userId: string): SessionRecord => ({ data: {}, createdAt: Date.now(), userId });
const confirming = (cap: number | undefined) => ({
  cap: undefined,
  onLimit: 'evict-oldest' as const,
  confirmation: true as const,
  confirmationCap: cap,
});

// A confirmation (step-up) rotates its record first and swaps its registry member after; a sign-in
// admitted in between finds the old member's record gone and prunes it as dead, without counting it.
describe('a confirmation whose old member a concurrent sign-in pruned as dead (one server)', () => {
  let server: ValkeyTestServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startValkeyServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  const fixture = () => {
    const prefix = uniquePrefix('confirm');
    const clock = new ManualClock();
    const store = new ValkeySessionStore(client, randomKey(), { prefix });
    const registry = new ValkeySessionRegistry(client, { store, clock, prefix });
    const signIn = async (user: string, cap: number): Promise<{ id: string; evicted: string[] | null }> => {
      const id = mintSessionId();
      clock.advance(1);
      const written = store.save(id, record(user), DAY, { mode: 'create' });
      const evicted = await registry.admit(user, id, cap, {
        recordWritten: written,
        evictionMarker: { reason: SessionEndReason.evicted, ttlMs: DAY },
      });
      return { id, evicted };
    };
    return { store, registry, clock, signIn };
  };

  it('admits the new id like a sign-in after that one: the oldest is evicted and the user stays at the cap', async () => {
    const { store, registry, clock, signIn } = fixture();
    const a = await signIn('ann', 3);
    const b = await signIn('ann', 3);
    const c = await signIn('ann', 3);
    // c's confirmation rotates its record...
    const confirmed = mintSessionId();
    expect(await store.rotate(c.id, confirmed, record('ann'), DAY)).toBe(true);
    // ...and a sign-in lands before the swap: c looks dead to it, so it evicts nobody.
    const d = await signIn('ann', 3);
    expect(d.evicted).toEqual([]);
    expect((await registry.members('ann')).map((m) => m.sessionId)).toEqual([a.id, b.id, d.id]);
    clock.advance(1);
    const evicted = await admitLogin(registry, store, 'ann', confirmed, confirming(3), Promise.resolve(), DAY, { replacing: c.id });
    expect(evicted).toEqual([a.id]);
    expect(await registry.activeSessions('ann')).toEqual([b.id, d.id, confirmed]);
    expect(await store.goneReason(a.id)).toBe(SessionEndReason.evicted);
  });

  it('still refuses (401 with the reason) a confirmation whose session was revoked or evicted meanwhile, and one without a numeric cap', async () => {
    const { store, registry, signIn } = fixture();
    const a = await signIn('bo', 3);
    const b = await signIn('bo', 3);
    // Revoked: its marker names why.
    const rotatedA = mintSessionId();
    expect(await store.rotate(a.id, rotatedA, record('bo'), DAY)).toBe(true);
    await store.markGone([a.id], SessionEndReason.revoked, DAY);
    await registry.unregister('bo', a.id);
    await expect(
      admitLogin(registry, store, 'bo', rotatedA, confirming(3), Promise.resolve(), DAY, { replacing: a.id }),
    ).rejects.toMatchObject({
      status: 401,
      reason: SessionEndReason.revoked,
    });
    // Pruned as dead, but no numeric cap to admit it under: ended.
    const rotatedB = mintSessionId();
    expect(await store.rotate(b.id, rotatedB, record('bo'), DAY)).toBe(true);
    await registry.unregister('bo', b.id);
    await expect(
      admitLogin(registry, store, 'bo', rotatedB, confirming(undefined), Promise.resolve(), DAY, { replacing: b.id }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(await registry.activeSessions('bo')).toEqual([]);
  });
});
