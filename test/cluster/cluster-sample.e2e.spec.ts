import { startValkeyCluster, type ValkeyTestCluster } from '../../src/testing';
import { describeSampleE2e } from '../harness/sample-e2e.flow';

let cluster: ValkeyTestCluster;

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

// The sample's e2e flow as on one server, with the module building its own Cluster client from
// seed nodes: each user's registry and each session record land on whichever shard their slot says.
describeSampleE2e(
  'sample app on %s with the %s backend on a 3-primary Valkey Cluster',
  [
    ['express', 'valkey'],
    ['fastify', 'valkey'],
  ],
  () => ({ clusterNodes: [...cluster.nodes] }),
);

// And again with the local session cache on (tracking on every node the client connects to).
describeSampleE2e(
  'sample app on %s with the %s backend on a 3-primary Valkey Cluster',
  [
    ['express', 'valkey'],
    ['fastify', 'valkey'],
  ],
  () => ({ clusterNodes: [...cluster.nodes] }),
  { localCache: true },
);
