import calculateSlot from 'cluster-key-slot';
import { mintSessionId, type KeyLayout } from '../../src/internal';
import type { ValkeyClusterShard } from '../../src/testing';

/** Index in `shards` of the shard serving `key`. */
export function shardOf(shards: ValkeyClusterShard[], key: string): number {
  const slot = calculateSlot(key);
  const index = shards.findIndex((s) => s.slots.some(([start, end]) => slot >= start && slot <= end));
  if (index < 0) throw new Error(`No shard serves slot ${slot}.`);
  return index;
}

/** `count` freshly minted session ids whose record keys land on shard `index`. */
export function sessionIdsOnShard(keys: KeyLayout, shards: ValkeyClusterShard[], index: number, count: number): string[] {
  const ids: string[] = [];
  while (ids.length < count) {
    const id = mintSessionId();
    if (shardOf(shards, keys.session(id)) === index) ids.push(id);
  }
  return ids;
}

/** A user id (`label` + a counter) whose registry key lands on shard `index`. */
export function userIdOnShard(keys: KeyLayout, shards: ValkeyClusterShard[], index: number, label: string): string {
  for (let n = 0; ; n++) {
    const userId = `${label}-${n}`;
    if (shardOf(shards, keys.registry(userId)) === index) return userId;
  }
}
