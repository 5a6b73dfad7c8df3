import { Redis } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { lostReplyFixture } from '../harness/lost-admission-reply';

describe('lost replies and failed deletions leave no session outside the registry (one server)', () => {
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

  it('an admission whose reply is lost still ends its victims: the script deletes the evicted record and writes its marker itself: nothing is left for the client to do', async () => {
    const { store, registry, signIn } = lostReplyFixture(client);
    const a = await signIn('ann', 2);
    await a.ended;
    const b = await signIn('ann', 2);
    await b.ended;
    // From here on, anything the client would send after the script fails.
    store.broken = true;
    const c = await signIn('ann', 2);
    expect(await c.ended).toEqual([a.id]);
    store.broken = false;
    expect(await store.existing([a.id, b.id, c.id])).toEqual(new Set([b.id, c.id]));
    expect(await store.goneReason(a.id)).toBe('evicted');
    expect(await registry.activeSessions('ann')).toEqual([b.id, c.id]);
  });

  it('a revocation whose record deletions fail leaves the registry as it was: invalidateUser and invalidateSession remove members only once their records are deleted', async () => {
    const { store, registry, signIn } = lostReplyFixture(client);
    const a = await signIn('cy', 3);
    await a.ended;
    const b = await signIn('cy', 3);
    await b.ended;
    store.broken = true;
    await expect(registry.invalidateUser('cy')).rejects.toThrow('reply lost');
    await expect(registry.invalidateSession('cy', a.id)).rejects.toThrow('reply lost');
    store.broken = false;
    // Still tracked: the next revocation reaches both.
    expect(await registry.activeSessions('cy')).toEqual([a.id, b.id]);
    expect((await registry.invalidateUser('cy')).sort()).toEqual([a.id, b.id].sort());
    expect(await store.existing([a.id, b.id])).toEqual(new Set());
  });
});
