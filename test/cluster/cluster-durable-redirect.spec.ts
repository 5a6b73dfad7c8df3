import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import calculateSlot from 'cluster-key-slot';
import { AxessSessionModule, KeyLayout, SessionStore, mintSessionId } from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { finishSlotMigration, migrateSlot, sessionIdsOnShard, shardOf } from '../harness/cluster-slots';
import { randomKey, uniquePrefix } from '../harness/valkey';

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
  const record = (userId: string) => ({ data: { note: userId }, createdAt: Date.now(), userId });

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
