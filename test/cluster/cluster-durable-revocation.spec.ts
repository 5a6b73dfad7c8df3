import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessSessionModule,
  AxessSessionService,
  KeyLayout,
  SessionEndReason,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { sessionIdsOnShard } from '../harness/cluster-slots';
import { randomKey, uniquePrefix } from '../harness/valkey';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// On a Cluster each deletion and marker waits on the node holding its key: a revocation or an
// eviction that resolved is on the replica that a crash of its primary promotes.
describe('Valkey Cluster: durable revocation and eviction survive a failover', () => {
  let cluster: ValkeyTestCluster;
  let shards: ValkeyClusterShard[];
  const apps: INestApplicationContext[] = [];
  const shared = { prefix: uniquePrefix('durable'), encryptionKey: randomKey(), signingKey: randomKey() };
  const keys = new KeyLayout(shared.prefix);

  const boot = async (options: Partial<AxessSessionModuleOptions> = {}) => {
    const module = AxessSessionModule.forRoot({
      connection: { clusterNodes: [...cluster.nodes] },
      mountMiddleware: false,
      commandTimeoutMs: 5_000,
      ...shared,
      ...options,
    });
    const app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1_500 });
    shards = await cluster.shards();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await cluster?.stop();
  });

  it('a revocation and an eviction wait for the frozen replica of their shard and survive SIGKILL of its primary', async () => {
    const durable = await boot({ durableWrites: { replicas: 1, timeoutMs: 2_000 } });
    const store = durable.get(SessionStore);
    const registry = durable.get(SessionRegistry);
    // Every record on shard 0, whose primary is killed below.
    const [a, b, victim, kept, newcomer] = sessionIdsOnShard(keys, shards, 0, 5);
    const revokedUser = 'durable-revoked';
    const evictedUser = 'durable-evicted';
    for (const [user, ids] of [
      [revokedUser, [a, b]],
      [evictedUser, [victim, kept, newcomer]],
    ] as const) {
      for (const id of ids) await store.save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
    }
    for (const id of [a, b]) await registry.register(revokedUser, id);
    for (const id of [victim, kept]) await registry.register(evictedUser, id);

    const replica = shards[0].replicas[0];
    cluster.pause(replica);
    let settled = false;
    const revocation = durable
      .get(AxessSessionService)
      .revokeAll(revokedUser)
      .finally(() => (settled = true));
    const eviction = registry.admit(evictedUser, newcomer, 2, { evictionMarker: { reason: SessionEndReason.evicted, ttlMs: 600_000 } });
    eviction.catch(() => undefined);
    await sleep(500);
    expect(settled).toBe(false);
    cluster.resume(replica);
    expect((await revocation).sort()).toEqual([a, b].sort());
    expect(await eviction).toEqual([victim]);

    await cluster.killPrimaryOf(keys.session(a));
    await cluster.waitUntilHealthy(30_000);
    expect((await cluster.shards()).find((s) => s.slots[0][0] === shards[0].slots[0][0])?.primary).toBe(replica);
    const reader = (await boot()).get(SessionStore);
    expect((await reader.existing([a, b, victim])).size).toBe(0);
    expect(await reader.goneReason(a)).toBe(SessionEndReason.revoked);
    expect(await reader.goneReason(victim)).toBe(SessionEndReason.evicted);
    expect((await reader.existing([kept, newcomer])).size).toBe(2);
  }, 90_000);
});
