import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'iovalkey';
import { Test } from '@nestjs/testing';
import {
  AxessSessionModule,
  KeyLayout,
  mintSessionId,
  SessionStore,
  SessionBackend,
  ValkeySessionRegistry,
  ValkeySessionStore,
  type SessionRecord,
} from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { describeSessionStoreConformance, REAL_TIME_UNIT_MS } from '../conformance/session-store.conformance';
import { expectAtMostCapNewestUsable, runConcurrentLogins, watchAdmissionOrder, type LoginBackend } from '../harness/concurrent-logins';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { sessionIdsOnShard, shardOf, userIdOnShard } from '../harness/cluster-slots';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const record = (data: Record<string, unknown>, userId?: string): SessionRecord => ({
  data,
  createdAt: Date.now(),
  ...(userId ? { userId } : {}),
});

let cluster: ValkeyTestCluster;
const clients: Cluster[] = [];

/** A client as an app would pass one, one per app instance (at most five); quit after the file. */
function clusterClient(instance = 0): Cluster {
  clients[instance] ??= new Cluster([...cluster.nodes]);
  return clients[instance];
}

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.quit()));
  await cluster?.stop();
});

// Fixtures share one client per suite and differ by prefix: a client per test would leave its
// connect timers running when the file ends.
describeSessionStoreConformance('ValkeySessionStore on a 3-primary Valkey Cluster', async () => ({
  store: new ValkeySessionStore(clusterClient(), randomKey(), { prefix: uniquePrefix() }),
  elapse: sleep,
  shortTtlMs: REAL_TIME_UNIT_MS,
  close: async () => undefined,
}));

describeSessionStoreConformance('ValkeySessionStore with durable writes on a Valkey Cluster', async () => ({
  store: new ValkeySessionStore(clusterClient(), randomKey(), { prefix: uniquePrefix(), durableWrites: { replicas: 1, timeoutMs: 2_000 } }),
  elapse: sleep,
  shortTtlMs: REAL_TIME_UNIT_MS,
  close: async () => undefined,
}));

describe('Valkey Cluster: module configuration', () => {
  it('forRoot({ connection: { clusterNodes } }) creates a Cluster client, saves and loads through it, and quits it on close', async () => {
    const module = AxessSessionModule.forRoot({
      connection: { clusterNodes: [...cluster.nodes] },
      prefix: uniquePrefix(),
      encryptionKey: randomKey(),
      signingKey: randomKey(),
    });
    const app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
    const connection = app.get(SessionBackend).connection!;
    try {
      expect(connection.client).toBeInstanceOf(Cluster);
      const store = app.get(SessionStore);
      const ids = [0, 1, 2].map(() => mintSessionId());
      for (const id of ids) expect(await store.save(id, record({ id }), 60_000)).toBe(true);
      for (const id of ids) expect((await store.load(id))?.data).toEqual({ id });
    } finally {
      await app.close();
    }
    // Cluster#quit resolves once every node said OK; the status reaches 'end' just after.
    expect(['disconnecting', 'end']).toContain(connection.client.status);
  });
});

describe('Valkey Cluster: the cluster under test', () => {
  it('has three shards, each with a primary and a replica', async () => {
    const shards = await cluster.shards();
    expect(shards).toHaveLength(3);
    for (const shard of shards) expect(shard.replicas).toHaveLength(1);
    expect(shards.flatMap((s) => s.slots).reduce((n, [start, end]) => n + end - start + 1, 0)).toBe(16384);
  });
});

describe('Valkey Cluster: 50 concurrent logins of one user (I1)', () => {
  it('leaves exactly the cap usable, the newest admitted, over five app instances, for users on each shard', async () => {
    const prefix = uniquePrefix();
    const key = randomKey();
    const keys = new KeyLayout(prefix);
    const shards = await cluster.shards();
    const backends: LoginBackend[] = Array.from({ length: 5 }, (_, instance) => {
      const client = clusterClient(instance);
      const store = new ValkeySessionStore(client, key, { prefix });
      return { store, registry: new ValkeySessionRegistry(client, { store, prefix }) };
    });
    for (const shard of [0, 1, 2]) {
      const userId = userIdOnShard(keys, shards, shard, 'user-concurrent');
      const registryKey = keys.registry(userId);
      const monitorOn = new Redis({ host: '127.0.0.1', port: await cluster.primaryOf(registryKey) });
      let stopped = false;
      try {
        const order = await watchAdmissionOrder(monitorOn, registryKey);
        const outcome = await runConcurrentLogins({ backends, userId, cap: 3, logins: 50 });
        const admissionOrder = await order.stop();
        stopped = true;
        await expectAtMostCapNewestUsable(backends[0], userId, 3, outcome, admissionOrder);
      } finally {
        // stop() disconnects it; a second disconnect would leave a 2 s fallback timer behind.
        if (!stopped) monitorOn.disconnect();
      }
    }
  });
});

describe('Valkey Cluster: no CROSSSLOT by construction (I6)', () => {
  let shards: ValkeyClusterShard[];
  let keys: KeyLayout;
  let store: ValkeySessionStore;
  let durableStore: ValkeySessionStore;
  let registry: ValkeySessionRegistry;

  beforeAll(async () => {
    shards = await cluster.shards();
    const prefix = uniquePrefix();
    keys = new KeyLayout(prefix);
    const client = clusterClient();
    const key = randomKey();
    store = new ValkeySessionStore(client, key, { prefix });
    durableStore = new ValkeySessionStore(client, key, { prefix, durableWrites: { replicas: 1, timeoutMs: 2_000 } });
    registry = new ValkeySessionRegistry(client, { store, prefix });
  });

  it('the slot arithmetic matches the servers', async () => {
    const [id] = sessionIdsOnShard(keys, shards, 2, 1);
    const probe = keys.session(id);
    expect(await cluster.slotOf(probe)).toBe(calculateSlot(probe));
    expect(await cluster.primaryOf(probe)).toBe(shards[2].primary);
  });

  it('save, load, delete and liveness checks across three shards', async () => {
    const ids = [0, 1, 2].flatMap((shard) => sessionIdsOnShard(keys, shards, shard, 2));
    expect(new Set(ids.map((id) => shardOf(shards, keys.session(id)))).size).toBe(3);
    for (const [i, id] of ids.entries()) await store.save(id, record({ i }), 60_000);
    for (const [i, id] of ids.entries()) expect((await store.load(id, { refreshTtlMs: 60_000 }))?.data).toEqual({ i });
    expect(await store.existing(ids)).toEqual(new Set(ids));
    expect([...(await store.remainingTtl(ids)).keys()].sort()).toEqual([...ids].sort());
    await store.delete(ids[0], ids[2], ids[4]);
    expect(await store.existing(ids)).toEqual(new Set([ids[1], ids[3], ids[5]]));
  });

  it('cycle moves a session between shards, with and without durable writes', async () => {
    for (const s of [store, durableStore]) {
      const [oldId] = sessionIdsOnShard(keys, shards, 0, 1);
      const [newId] = sessionIdsOnShard(keys, shards, 1, 1);
      await s.save(oldId, record({ step: 'anonymous' }), 60_000);
      await s.cycle(oldId, newId, record({ step: 'authenticated' }), 60_000);
      expect(await s.load(oldId)).toBeNull();
      expect((await s.load(newId))?.data).toEqual({ step: 'authenticated' });
    }
  });

  it('admit, isValid, activeSessions, invalidateSession and invalidateUser with the user on one shard and sessions on the others', async () => {
    const userId = userIdOnShard(keys, shards, 0, 'user-cross');
    const sessions = [...sessionIdsOnShard(keys, shards, 1, 2), ...sessionIdsOnShard(keys, shards, 2, 2)];
    const evicted: string[] = [];
    for (const id of sessions) {
      evicted.push(...((await registry.admit(userId, id, 3, { recordWritten: store.save(id, record({}, userId), 60_000) })) ?? []));
    }
    expect(evicted).toEqual([sessions[0]]);
    expect(await store.load(sessions[0])).toBeNull();
    expect(await registry.activeSessions(userId)).toEqual(sessions.slice(1));
    expect(await registry.isValid(userId, sessions[1])).toBe(true);
    await registry.invalidateSession(userId, sessions[1]);
    expect(await registry.isValid(userId, sessions[1])).toBe(false);
    expect(await store.load(sessions[1])).toBeNull();
    expect((await registry.invalidateUser(userId)).sort()).toEqual(sessions.slice(2).sort());
    expect(await store.existing(sessions)).toEqual(new Set());
    expect(await registry.activeSessions(userId)).toEqual([]);
  });

  it('prunes members whose records live on other shards and expired', async () => {
    const userId = userIdOnShard(keys, shards, 1, 'user-prune');
    const [short, ...rest] = [...sessionIdsOnShard(keys, shards, 0, 1), ...sessionIdsOnShard(keys, shards, 2, 2)];
    await registry.admit(userId, short, 2, { recordWritten: store.save(short, record({}, userId), 100) });
    await sleep(250);
    const evicted: string[] = [];
    for (const id of rest)
      evicted.push(...((await registry.admit(userId, id, 2, { recordWritten: store.save(id, record({}, userId), 60_000) })) ?? []));
    // The expired member was pruned, not counted: the two live sessions both fit under the cap.
    expect(evicted).toEqual([]);
    expect(await registry.activeSessions(userId)).toEqual(rest);
  });
});
