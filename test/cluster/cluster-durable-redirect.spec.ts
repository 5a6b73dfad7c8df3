import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import calculateSlot from 'cluster-key-slot';
import { TcpProxy } from '../../chaos/proxy';
import { AxessSessionModule, KeyLayout, SessionRegistry, SessionStore, mintSessionId } from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { finishSlotMigration, migrateSlot, moveKeys, sessionIdsOnShard, shardOf, userIdOnShard } from '../harness/cluster-slots';
import { randomKey, uniquePrefix } from '../harness/valkey';

const record = (userId: string) => ({ data: { note: userId }, createdAt: Date.now(), userId });

// A durable write is a pipeline (the write, then WAIT on the same connection). iovalkey does not
// follow a redirection for such a pipeline: a slot that moved after the client read the slot map
// answered MOVED (a 503) until the client refreshed it. The write now follows MOVED and ASK.
describe('Valkey Cluster: durable writes follow a slot migration', () => {
  let cluster: ValkeyTestCluster;
  let shards: ValkeyClusterShard[];
  let app: INestApplicationContext;
  let store: SessionStore;
  const prefix = uniquePrefix('redirect');
  const keys = new KeyLayout(prefix);

  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
    shards = await cluster.shards();
    const module = AxessSessionModule.forRoot({
      connection: { clusterNodes: [...cluster.nodes] },
      mountMiddleware: false,
      commandTimeoutMs: 5_000,
      prefix,
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      durableWrites: { replicas: 1, timeoutMs: 2_000 },
    });
    app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
    store = app.get(SessionStore);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('a save and a deletion of sessions whose slots moved to another primary succeed on the new owner (MOVED)', async () => {
    const [saved, deleted] = sessionIdsOnShard(keys, shards, 0, 2);
    // The client reads the slot map now, with both slots on shard 0.
    await store.save(saved, record('u-saved'), 600_000);
    await store.save(deleted, record('u-deleted'), 600_000);
    await migrateSlot(cluster, calculateSlot(keys.session(saved)), shards[1].primary);
    await migrateSlot(cluster, calculateSlot(keys.session(deleted)), shards[2].primary);

    // Sent in one tick, both on the stale map.
    await Promise.all([store.save(saved, record('u-saved-again'), 600_000), store.delete(deleted)]);

    expect(await cluster.primaryOf(keys.session(saved))).toBe(shards[1].primary);
    expect((await store.load(saved))?.data).toEqual({ note: 'u-saved-again' });
    expect(await store.load(deleted)).toBeNull();
  }, 60_000);

  it('a new session written while its slot is migrating lands on the importing primary (ASK), and stays after the migration', async () => {
    // A slot of shard 0 with a key the migration leaves behind on its old owner (a migrating slot
    // answers ASK only for keys the old owner lacks).
    const [stay] = sessionIdsOnShard(keys, shards, 0, 1);
    await store.save(stay, record('u-stay'), 600_000);
    const slot = calculateSlot(keys.session(stay));
    let fresh = mintSessionId();
    while (calculateSlot(keys.session(fresh)) !== slot) fresh = mintSessionId();
    const from = shards[shardOf(shards, keys.session(stay))].primary;
    const to = shards[1].primary;
    await migrateSlot(cluster, slot, to, 'migrating');

    await store.save(fresh, record('u-fresh'), 600_000);

    await finishSlotMigration(cluster, slot, from, to);
    expect(await cluster.primaryOf(keys.session(fresh))).toBe(to);
    expect((await store.load(fresh))?.data).toEqual({ note: 'u-fresh' });
    expect((await store.load(stay))?.data).toEqual({ note: 'u-stay' });
  }, 60_000);
});

// Apps behind a NAT reach the nodes by other addresses than the ones the nodes announce (iovalkey's
// `natMap`), as the chaos soak's proxied instance does. A redirection names the announced address.
describe('Valkey Cluster behind natMap: writes and admissions follow a slot migration', () => {
  let cluster: ValkeyTestCluster;
  let shards: ValkeyClusterShard[];
  let app: INestApplicationContext;
  const proxies: TcpProxy[] = [];
  const prefix = uniquePrefix('nat');
  const keys = new KeyLayout(prefix);

  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
    shards = await cluster.shards();
    for (const node of cluster.nodes) {
      const proxy = new TcpProxy(node.port);
      await proxy.start();
      proxies.push(proxy);
    }
    const natMap = Object.fromEntries(
      cluster.nodes.map((node, i) => [`127.0.0.1:${node.port}`, { host: '127.0.0.1', port: proxies[i].port }]),
    );
    const module = AxessSessionModule.forRoot({
      connection: { clusterNodes: proxies.map((p) => ({ host: '127.0.0.1', port: p.port })), clusterOptions: { natMap } },
      mountMiddleware: false,
      commandTimeoutMs: 5_000,
      prefix,
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      durableWrites: { replicas: 1, timeoutMs: 2_000 },
    });
    app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all(proxies.map((p) => p.stop()));
    await cluster?.stop();
  });

  it('a durable save and an admission whose slots moved succeed (MOVED)', async () => {
    const store = app.get(SessionStore);
    const registry = app.get(SessionRegistry);
    const [saved, admitted] = sessionIdsOnShard(keys, shards, 0, 2);
    const user = userIdOnShard(keys, shards, 0, 'nat-moved');
    await store.save(saved, record('u-saved'), 600_000);
    await store.save(admitted, record(user), 600_000);
    await registry.register(user, saved);
    await migrateSlot(cluster, calculateSlot(keys.session(saved)), shards[1].primary);
    await migrateSlot(cluster, calculateSlot(keys.registry(user)), shards[2].primary);

    await Promise.all([store.save(saved, record('u-saved-again'), 600_000), registry.admit(user, admitted, 3)]);

    expect((await store.load(saved))?.data).toEqual({ note: 'u-saved-again' });
    expect((await registry.members(user)).map((m) => m.sessionId)).toContain(admitted);
  }, 60_000);

  it('an admission whose registry key is already on the importing primary of a migrating slot succeeds (ASK)', async () => {
    const store = app.get(SessionStore);
    const registry = app.get(SessionRegistry);
    const user = userIdOnShard(keys, shards, 0, 'nat-ask');
    const [first, second] = sessionIdsOnShard(keys, shards, 1, 2);
    for (const id of [first, second]) await store.save(id, record(user), 600_000);
    await registry.admit(user, first, 3);
    const slot = calculateSlot(keys.registry(user));
    const from = (await cluster.shards()).find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b))!.primary;
    const to = shards.find((s) => s.primary !== from)!.primary;
    await migrateSlot(cluster, slot, to, 'migrating');
    // Only the registry key moves yet: the old owner answers ASK for it.
    await moveKeys(from, to, keys.registry(user));

    await registry.admit(user, second, 3);

    await finishSlotMigration(cluster, slot, from, to);
    expect((await registry.members(user)).map((m) => m.sessionId).sort()).toEqual([first, second].sort());
  }, 60_000);
});
