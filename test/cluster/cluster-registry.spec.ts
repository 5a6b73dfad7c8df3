import { Cluster } from 'iovalkey';
import { ValkeySessionRegistry, ValkeySessionStore } from '../../src';
import { freePort, ManualClock, startValkeyCluster, type ValkeyTestCluster } from '../../src/testing';
import { describeSessionRegistryConformance, type BrokenRegistry } from '../conformance/session-registry.conformance';
import { randomKey, uniquePrefix } from '../harness/valkey';

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
