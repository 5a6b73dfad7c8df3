import { Cluster } from 'iovalkey';
import { admitLogin, KeyLayout, mintSessionId, ValkeyConnection, ValkeySessionRegistry, ValkeySessionStore } from '../../src/internal';
import { freePort, ManualClock } from '../../src/testing';
import { describeSessionRegistryConformance, type BrokenRegistry } from '../conformance/session-registry.conformance';
import { valkeyRegistryFixture } from '../conformance/valkey-registry.fixture';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { withSharedCluster } from '../harness/shared-cluster.hooks';
import { userIdOnShard } from '../harness/cluster-slots';
import { lostReplyFixture } from '../harness/lost-admission-reply';

const shared = withSharedCluster();

describeSessionRegistryConformance(
  'ValkeySessionRegistry on a 3-primary Valkey Cluster',
  async (options = {}) => valkeyRegistryFixture(shared.client, options, async () => undefined),
  async (): Promise<BrokenRegistry> => {
    // A Cluster client whose only seed node is gone: every command fails at once. Short
    // internal timeouts so that no timer of the failed connect outlives the test file.
    const client = new Cluster([{ host: '127.0.0.1', port: await freePort() }], {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: 50,
      redisOptions: { maxRetriesPerRequest: 0, disconnectTimeout: 50 },
    });
    client.on('error', () => undefined);
    const store = new ValkeySessionStore(client, randomKey());
    return {
      registry: new ValkeySessionRegistry(client, { store, clock: new ManualClock() }),
      seed: async () => undefined,
      close: async () => client.disconnect(),
    };
  },
);

describe('Valkey Cluster: a module-created client with auto-pipelining turned on', () => {
  let connection: ValkeyConnection;

  beforeAll(() => {
    // Off by default; an app may turn it on, and scripts must still reach the right shard.
    connection = ValkeyConnection.create(
      { clusterNodes: [...shared.cluster.nodes], clusterOptions: { enableAutoPipelining: true } },
      2_000,
    );
    expect(connection.client.options.enableAutoPipelining).toBe(true);
  });
  afterAll(() => connection?.onModuleDestroy());

  it('concurrent logins of users on different shards, issued in one tick, are all admitted under the cap', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const shards = await shared.cluster.shards();
    const store = new ValkeySessionStore(connection.client, randomKey(), { prefix });
    const registry = new ValkeySessionRegistry(connection.client, { store, prefix });
    const users = [0, 1, 2].map((shard) => userIdOnShard(keys, shards, shard, 'user-tick'));
    const logins = users.flatMap((userId) => Array.from({ length: 5 }, () => ({ userId, id: mintSessionId() })));
    // Scripts for registry keys on three shards leave in the same tick: the client must route each by its key.
    const outcomes = await Promise.allSettled(
      logins.map(({ userId, id }) =>
        registry.admit(userId, id, 3, { recordWritten: store.save(id, { data: {}, createdAt: Date.now(), userId }, 60_000) }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    for (const userId of users) {
      const active = await registry.activeSessions(userId);
      expect(active).toHaveLength(3);
      expect(logins.filter((l) => l.userId === userId).map((l) => l.id)).toEqual(expect.arrayContaining(active));
    }
    expect((await Promise.all(users.map((userId) => registry.invalidateUser(userId)))).map((ended) => ended.length)).toEqual([3, 3, 3]);
  });
});

describe('Valkey Cluster: an admission whose reply is lost', () => {
  it('leaves its victim in the registry, marked: not counted under the cap, still listed and revocable, ended by the next admission', async () => {
    const { store, registry, signIn, signInLosingReply } = lostReplyFixture(shared.client);
    const a = await signIn('ann', 2);
    await a.ended;
    const b = await signIn('ann', 2);
    await b.ended;
    // The script evicts a, then the client's deletion of a's record is lost.
    const c = await signInLosingReply('ann', 2);
    await expect(c.ended).rejects.toThrow('reply lost');
    // Its session is alive, so it is listed and can be revoked.
    expect(await store.existing([a.id])).toEqual(new Set([a.id]));
    expect(await registry.activeSessions('ann')).toEqual([a.id, b.id, c.id]);
    expect(await registry.isValid('ann', a.id)).toBe(true);
    // Not counted: the next admission ends it, and evicts b for d as a cap of 2 wants.
    const d = await signIn('ann', 2);
    expect(await d.ended).toEqual([a.id, b.id]);
    expect(await store.existing([a.id, b.id, c.id, d.id])).toEqual(new Set([c.id, d.id]));
    expect(await store.goneReason(a.id)).toBe('evicted');
    expect((await registry.members('ann')).map((m) => m.sessionId)).toEqual([c.id, d.id]);
  });

  it('concurrent admissions that both find a victim left marked report it once', async () => {
    const { store, signIn, signInLosingReply } = lostReplyFixture(shared.client);
    const a = await signIn('cy', 1);
    await a.ended;
    const b = await signInLosingReply('cy', 1);
    await expect(b.ended).rejects.toThrow('reply lost');
    // Both read a as marked and alive before either ends it; each ends it, one reports it.
    const [c, d] = await Promise.all([signIn('cy', 10), signIn('cy', 10)]);
    const reported = [...((await c.ended) ?? []), ...((await d.ended) ?? [])];
    expect(reported).toEqual([a.id]);
    expect(await store.existing([a.id])).toEqual(new Set());
    expect(await store.goneReason(a.id)).toBe('evicted');
  });

  it('a victim left marked is listed flagged evicted, and confirming its authentication is refused instead of taking the user past the cap', async () => {
    const { store, registry, signIn, signInLosingReply } = lostReplyFixture(shared.client);
    const a = await signIn('dee', 2);
    await a.ended;
    const b = await signIn('dee', 2);
    await b.ended;
    const c = await signInLosingReply('dee', 2);
    await expect(c.ended).rejects.toThrow('reply lost');
    expect(await registry.members('dee')).toEqual([
      { sessionId: a.id, registeredAt: expect.any(Number), evicted: true },
      { sessionId: b.id, registeredAt: expect.any(Number) },
      { sessionId: c.id, registeredAt: expect.any(Number) },
    ]);
    // a's record survived the lost reply, so its rotation to a new id succeeds; the swap must not.
    const swapped = mintSessionId();
    expect(await store.rotate(a.id, swapped, { data: {}, createdAt: Date.now(), userId: 'dee' }, 86_400_000)).toBe(true);
    const limit = { cap: undefined, onLimit: 'evict-oldest' as const, confirmation: true as const, confirmationCap: 2 };
    await expect(
      admitLogin(registry, store, 'dee', swapped, limit, Promise.resolve(), 86_400_000, { replacing: a.id }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(await registry.activeSessions('dee')).toEqual(expect.not.arrayContaining([swapped]));
    expect((await registry.activeSessions('dee')).filter((id) => id !== a.id).length).toBeLessThanOrEqual(2);
  });

  it('a revocation of the user ends a victim left marked', async () => {
    const { store, registry, signIn, signInLosingReply } = lostReplyFixture(shared.client);
    const a = await signIn('bo', 1);
    await a.ended;
    const b = await signInLosingReply('bo', 1);
    await expect(b.ended).rejects.toThrow('reply lost');
    expect((await registry.invalidateUser('bo')).sort()).toEqual([a.id, b.id].sort());
    expect(await store.existing([a.id, b.id])).toEqual(new Set());
  });
});
