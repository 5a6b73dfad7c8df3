import { ModuleConnections } from '../harness/module-connections';
import { Cluster } from 'iovalkey';
import { KeyLayout, ValkeySessionRegistry, ValkeySessionStore, SessionStoreError } from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { sessionIdsOnShard, shardOf, userIdOnShard } from '../harness/cluster-slots';
import { recovered, runTraffic, watchUnhandledRejections, type TrafficOp } from '../harness/cluster-traffic';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Generous bound for "recovers on its own": failure detection + election take a few seconds. */
const RECOVERY_BOUND_MS = 30_000;

let cluster: ValkeyTestCluster;
/** The shard layout as started; slot ranges stay put across failovers, primaries change. */
let shards: ValkeyClusterShard[];
const connections = new ModuleConnections();

/** A client configured exactly as the module configures one from `connection.clusterNodes`. */
const moduleClient = (): Cluster => connections.client<Cluster>({ clusterNodes: [...cluster.nodes] });

const currentShardOf = async (slots: ValkeyClusterShard['slots']) => (await cluster.shards()).find((s) => s.slots[0][0] === slots[0][0])!;

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1_500 });
  shards = await cluster.shards();
}, 60_000);

afterAll(async () => {
  await connections.closeAll();
  await cluster?.stop();
});

function expectTyped(ops: readonly TrafficOp[]): void {
  for (const op of ops.filter((o) => o.outcome === 'error')) {
    expect(op.error).toBeInstanceOf(SessionStoreError);
    expect(['connection', 'command']).toContain((op.error as SessionStoreError).kind);
  }
}

describe('Valkey Cluster failover', () => {
  it('durableWrites options are validated', () => {
    const client = moduleClient();
    for (const bad of [
      null,
      {},
      { replicas: 0, timeoutMs: 100 },
      { replicas: 1.5, timeoutMs: 100 },
      { replicas: 1, timeoutMs: 0 },
      { replicas: 1, timeoutMs: -5 },
      { replicas: '1', timeoutMs: 100 },
    ]) {
      expect(() => new ValkeySessionStore(client, randomKey(), { durableWrites: bad as never })).toThrow(
        expect.objectContaining({ name: 'AxessOptionsError', option: expect.stringMatching(/^durableWrites/) }),
      );
    }
  });

  it('a primary killed mid-traffic: typed errors during the switch, no unhandled rejection, then it recovers on its own', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const store = new ValkeySessionStore(moduleClient(), randomKey(), { prefix });
    const onKilledShard = (op: TrafficOp) => shardOf(shards, keys.session(op.id)) === 0;
    const unhandled = watchUnhandledRejections();
    let killedAt = Number.POSITIVE_INFINITY;
    try {
      const traffic = runTraffic({
        store,
        maxMs: RECOVERY_BOUND_MS,
        done: (ops) => recovered(ops, killedAt, 200, 20, onKilledShard),
      });
      await sleep(500);
      killedAt = Date.now();
      const killed = await cluster.killPrimaryOf(keys.session(sessionIdsOnShard(keys, shards, 0, 1)[0]));
      const ops = await traffic;

      expect(killed).toBe(shards[0].primary);
      expect(ops.filter((op) => op.endedAt < killedAt).every((op) => op.outcome === 'ok')).toBe(true);
      expectTyped(ops);
      // It recovered within the bound, and the killed shard's keys work again (on the promoted replica).
      expect(recovered(ops, killedAt, 200, 20, onKilledShard)).toBe(true);
      expect((await currentShardOf(shards[0].slots)).primary).toBe(shards[0].replicas[0]);
      await new Promise((r) => setImmediate(r));
      expect(unhandled.rejections).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('durable writes fail typed while the replica does not acknowledge, and succeed once it does', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const client = moduleClient();
    const durable = new ValkeySessionStore(client, randomKey(), { prefix, durableWrites: { replicas: 1, timeoutMs: 300 } });
    const plain = new ValkeySessionStore(client, randomKey(), { prefix });
    const [first, second, third] = sessionIdsOnShard(keys, shards, 2, 3);
    const replica = (await currentShardOf(shards[2].slots)).replicas[0];
    cluster.pause(replica);
    try {
      await expect(durable.save(first, { data: {}, createdAt: 1 }, 60_000)).rejects.toMatchObject({
        name: 'SessionStoreError',
        kind: 'replication',
      });
      await expect(durable.cycle(first, second, { data: {}, createdAt: 1 }, 60_000)).rejects.toMatchObject({ kind: 'replication' });
      // Without the option the same write is acknowledged by the primary alone.
      expect(await plain.save(third, { data: {}, createdAt: 1 }, 60_000)).toBe(true);
    } finally {
      cluster.resume(replica);
    }
    expect(await durable.save(third, { data: { again: true }, createdAt: 1 }, 60_000)).toBe(true);
  });

  it('with durable writes, an admission waits for the replica too (a failover must not lose a counted session)', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const client = moduleClient();
    const store = new ValkeySessionStore(client, randomKey(), { prefix });
    const durable = new ValkeySessionRegistry(client, { store, prefix, durableWrites: { replicas: 1, timeoutMs: 300 } });
    const plain = new ValkeySessionRegistry(client, { store, prefix });
    const user = userIdOnShard(keys, shards, 2, 'durable-admission');
    const [first, second] = sessionIdsOnShard(keys, shards, 0, 2);
    await store.save(first, { data: {}, createdAt: 1, userId: user }, 60_000);
    await store.save(second, { data: {}, createdAt: 1, userId: user }, 60_000);
    const replica = (await currentShardOf(shards[2].slots)).replicas[0];
    cluster.pause(replica);
    try {
      await expect(durable.admit(user, first, 3)).rejects.toMatchObject({ name: 'SessionStoreError', kind: 'replication' });
      // Without the option the same admission is acknowledged by the primary alone.
      expect(await plain.admit(user, second, 3)).toEqual([]);
    } finally {
      cluster.resume(replica);
    }
    expect(await durable.admit(user, first, 3)).toEqual([]);
    expect((await durable.members(user)).map((m) => m.sessionId).sort()).toEqual([first, second].sort());
  });

  it('with durable writes, every acknowledged session survives its primary being killed mid-traffic', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const key = randomKey();
    const store = new ValkeySessionStore(moduleClient(), key, { prefix, durableWrites: { replicas: 1, timeoutMs: 500 } });
    // Every write goes to the shard whose primary is killed.
    const onShard = () => sessionIdsOnShard(keys, shards, 1, 1)[0];
    const unhandled = watchUnhandledRejections();
    let killedAt = Number.POSITIVE_INFINITY;
    try {
      const traffic = runTraffic({
        store,
        nextId: onShard,
        maxMs: RECOVERY_BOUND_MS,
        // The promoted replica has no replica of its own: durable writes must now fail, typed.
        done: (ops) => ops.some((op) => op.startedAt > killedAt && (op.error as SessionStoreError | undefined)?.kind === 'replication'),
      });
      await sleep(500);
      killedAt = Date.now();
      await cluster.killPrimaryOf(keys.session(onShard()));
      const ops = await traffic;

      for (const op of ops.filter((o) => o.outcome === 'error')) {
        expect(op.error).toBeInstanceOf(SessionStoreError);
        expect(['connection', 'command', 'replication']).toContain((op.error as SessionStoreError).kind);
      }
      const acknowledged = ops.filter((op) => op.saved);
      expect(acknowledged.filter((op) => op.endedAt > killedAt - 500).length).toBeGreaterThan(0);
      // Every save that resolved is on the promoted replica; none read back as missing meanwhile.
      expect(ops.filter((op) => op.outcome === 'lost')).toEqual([]);
      // Read back on a fresh connection: the writer's may still be draining WAITs that time out.
      const reader = new ValkeySessionStore(moduleClient(), key, { prefix });
      const reloaded = await Promise.all(acknowledged.map((op) => reader.load(op.id)));
      expect(reloaded.filter((record) => record === null)).toHaveLength(0);
      expect((await currentShardOf(shards[1].slots)).primary).toBe(shards[1].replicas[0]);
      await new Promise((r) => setImmediate(r));
      expect(unhandled.rejections).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
