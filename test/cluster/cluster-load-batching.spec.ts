import type { Logger } from '@nestjs/common';
import type { Redis } from 'iovalkey';
import { KeyLayout, ValkeySessionStore, type SessionRecord } from '../../src/internal';
import { sessionIdsOnShard } from '../harness/cluster-slots';
import { withSharedCluster } from '../harness/shared-cluster.hooks';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * On a Cluster the keys of concurrent loads live in different slots, which one pipeline cannot
 * span: each load keeps its own command, however many start at once.
 */

const TTL = 60_000;
const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const record = (n: number): SessionRecord => ({ data: { n }, createdAt: 1_900_000_000_000 + n });

/** Counts the writes to the sockets of the given node connections. */
function countWrites(nodes: Redis[]): { readonly count: number } {
  const counter = { count: 0 };
  for (const node of nodes) {
    const stream = node.stream;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (...args: unknown[]) => {
      counter.count++;
      return write(...args);
    };
  }
  return counter;
}

const shared = withSharedCluster();

describe('ValkeySessionStore on a Valkey Cluster: concurrent loads', () => {
  it('sends one command per load, across shards, each answered with its own record', async () => {
    const prefix = uniquePrefix('cbatch');
    const store = new ValkeySessionStore(shared.client, randomKey(), { prefix, logger: quiet });
    const keys = new KeyLayout(prefix);
    const shards = await shared.cluster.shards();
    const ids = shards.flatMap((_, shard) => sessionIdsOnShard(keys, shards, shard, 4));
    // Every record saved: every primary's connection is open before the writes are counted.
    await Promise.all(ids.map((id, i) => store.save(id, record(i), TTL)));
    const missing = sessionIdsOnShard(keys, shards, 1, 2);
    const writes = countWrites(shared.client.nodes('master'));

    const loads = [...ids, ...missing].map((id, i) => store.load(id, i % 2 ? { refreshTtlMs: TTL * 2 } : {}));

    expect(await Promise.all(loads)).toEqual([...ids.map((_, i) => record(i)), null, null]);
    expect(writes.count).toBe(ids.length + missing.length);
  });
});
