import type { Cluster, Redis } from 'iovalkey';
import type { ValkeyClient } from './valkey-client.js';

/** Keys asked for per `SCAN` step: a hint to the server, which keeps each step short. */
const SCAN_COUNT = 500;

/**
 * The keys matching `pattern`, in batches, on every node that owns keys: the one server, or every
 * Cluster primary (a `SCAN` only sees its own node's slots). As `SCAN` guarantees, a key present
 * for the whole iteration is listed at least once; one written or deleted meanwhile may or may not be.
 */
export async function* scanKeys(client: ValkeyClient, pattern: string): AsyncGenerator<string[]> {
  const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}
