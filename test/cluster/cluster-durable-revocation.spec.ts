import { ServiceUnavailableException, type INestApplicationContext } from '@nestjs/common';
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
import { sessionIdsOnShard, userIdOnShard } from '../harness/cluster-slots';
import { adminCommand } from '../../src/testing/valkey-admin';
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

  it('a sign-in prunes a member as dead only once its absence is replicated: a deletion the failover undoes leaves it revocable', async () => {
    const durable = await boot({ durableWrites: { replicas: 1, timeoutMs: 500 } });
    const store = durable.get(SessionStore);
    const registry = durable.get(SessionRegistry);
    // Two shards that still have a replica: the record that comes back lives on the first, the user's set on the second.
    const now = await cluster.shards();
    const [cut, healthy] = now.flatMap((shard, index) => (shard.replicas.length > 0 ? [index] : []));
    const [revived, expired] = sessionIdsOnShard(keys, now, cut, 2);
    const [kept, newcomer] = sessionIdsOnShard(keys, now, healthy, 2);
    const user = userIdOnShard(keys, now, healthy, 'durable-pruned');
    for (const id of [revived, expired, kept, newcomer]) await store.save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
    for (const id of [revived, expired]) await registry.register(user, id);
    // Replicated as usual: a member whose record is gone is pruned by the next sign-in.
    await store.delete(expired);
    expect(await registry.admit(user, kept, 3)).toEqual([]);
    expect((await registry.members(user)).map((m) => m.sessionId).sort()).toEqual([revived, kept].sort());

    // Replication of the record's shard is cut (replica frozen, link closed): a revocation deletes
    // the record on the primary alone and answers 503.
    const { primary, replicas } = now[cut];
    cluster.pause(replicas[0]);
    await adminCommand(primary, 'CLIENT', 'KILL', 'TYPE', 'replica');
    await expect(durable.get(AxessSessionService).revokeSession(user, revived)).rejects.toBeInstanceOf(ServiceUnavailableException);
    // A sign-in now reads that record as absent: on that read alone it must not prune the member.
    await expect(registry.admit(user, newcomer, 3)).rejects.toMatchObject({ kind: 'replication' });
    expect((await registry.members(user)).map((m) => m.sessionId)).toContain(revived);

    // The primary dies; its replica, which never got the deletion, takes over with the record.
    await cluster.kill(primary);
    cluster.resume(replicas[0]);
    await cluster.waitUntilHealthy(30_000);
    const after = await boot();
    expect(await after.get(SessionStore).load(revived)).not.toBeNull();
    // Still a member, so "sign out other devices" ends it.
    expect(await after.get(AxessSessionService).revokeOthers(user, kept)).toEqual([revived]);
    expect((await after.get(SessionStore).existing([revived, kept])).size).toBe(1);
  }, 90_000);
});
