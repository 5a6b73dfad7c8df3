import { Cluster } from 'iovalkey';
import { startValkeyCluster, type ValkeyTestCluster } from '../../src/testing';

/** The file's Valkey Cluster and its one client; read them inside tests and hooks. */
export interface SharedCluster {
  readonly cluster: ValkeyTestCluster;
  readonly client: Cluster;
}

/**
 * Starts a 3-primary/3-replica Valkey Cluster and one client on it before the file's tests and
 * stops both after. One client for the file (fixtures differ by prefix): a client per test would
 * leave its connect timers running at the end. Call it at the top level of a test file.
 */
export function withSharedCluster(): SharedCluster {
  let cluster: ValkeyTestCluster | undefined;
  let client: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
    client = new Cluster([...cluster.nodes]);
  }, 60_000);
  afterAll(async () => {
    await client?.quit();
    await cluster?.stop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`The shared ${what} exists only inside tests and hooks (it is started by beforeAll).`);
    return value;
  };
  return {
    get cluster() {
      return started(cluster, 'cluster');
    },
    get client() {
      return started(client, 'cluster client');
    },
  };
}
