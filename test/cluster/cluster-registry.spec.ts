import { Cluster } from 'iovalkey';
import { KeyLayout, mintSessionId, ValkeyConnection, ValkeySessionRegistry, ValkeySessionStore } from '../../src';
import { freePort, ManualClock, startValkeyCluster, type ValkeyTestCluster } from '../../src/testing';
import { describeSessionRegistryConformance, type BrokenRegistry } from '../conformance/session-registry.conformance';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { userIdOnShard } from './slots';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let cluster: ValkeyTestCluster;
/** One client for the file (fixtures differ by prefix): a client per test would leave its connect timers running at the end. */
let client: Cluster;

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
  client = new Cluster([...cluster.nodes]);
}, 60_000);

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

describeSessionRegistryConformance(
  'ValkeySessionRegistry on a 3-primary Valkey Cluster',
  async (options = {}) => {
    const prefix = uniquePrefix();
    const clock = new ManualClock();
    const store = new ValkeySessionStore(client, randomKey(), { prefix });
    return {
      registry: new ValkeySessionRegistry(client, { store, clock, prefix, ...options }),
      store,
      clock,
      elapse: async (ms) => {
        clock.advance(ms);
        await sleep(ms);
      },
      close: async () => undefined,
    };
  },
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

describe('Valkey Cluster: the client the module creates (auto-pipelining on)', () => {
  let connection: ValkeyConnection;

  beforeAll(() => {
    connection = ValkeyConnection.create({ clusterNodes: [...cluster.nodes] }, 2_000);
  });
  afterAll(() => connection?.onModuleDestroy());

  it('concurrent logins of users on different shards, issued in one tick, are all admitted under the cap', async () => {
    const prefix = uniquePrefix();
    const keys = new KeyLayout(prefix);
    const shards = await cluster.shards();
    const store = new ValkeySessionStore(connection.client, randomKey(), { prefix });
    const registry = new ValkeySessionRegistry(connection.client, { store, prefix });
    const users = [0, 1, 2].map((shard) => userIdOnShard(keys, shards, shard, 'user-tick'));
    const logins = users.flatMap((userId) => Array.from({ length: 5 }, () => ({ userId, id: mintSessionId() })));
    // Scripts for registry keys on three shards leave in the same tick: the client must route each by its key.
    const outcomes = await Promise.allSettled(
      logins.map(({ userId, id }) => registry.admit(userId, id, 3, { recordWritten: store.save(id, { data: {}, createdAt: Date.now(), userId }, 60_000) })),
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
