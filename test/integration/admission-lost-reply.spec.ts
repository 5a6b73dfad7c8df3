import { Redis } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { lostReplyFixture } from '../harness/lost-admission-reply';

describe('an admission whose reply is lost still ends its victims (one server)', () => {
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

  it('the script deletes the evicted record and writes its marker itself: nothing is left for the client to do', async () => {
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
});
