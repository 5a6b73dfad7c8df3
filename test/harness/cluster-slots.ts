import calculateSlot from 'cluster-key-slot';
import { mintSessionId, type KeyLayout } from '../../src/internal';
import type { ValkeyClusterShard, ValkeyTestCluster } from '../../src/testing';
import { adminCommand } from '../../src/testing/valkey-admin';

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

/**
 * Moves hash `slot` to the primary on port `to`, as `valkey-cli --cluster reshard` does: the
 * importing and migrating states, the keys (`MIGRATE`), then the new owner told to every primary.
 * With `stopAt: 'migrating'` it stops before moving any key: writes of keys the old owner lacks
 * are answered `ASK` meanwhile. Call `finishSlotMigration` later to end it.
 */
export async function migrateSlot(cluster: ValkeyTestCluster, slot: number, to: number, stopAt?: 'migrating'): Promise<void> {
  const from = (await cluster.shards()).find((s) => s.slots.some(([start, end]) => slot >= start && slot <= end))!.primary;
  const idOf = async (port: number) => String(await adminCommand(port, 'CLUSTER', 'MYID'));
  await adminCommand(to, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', await idOf(from));
  await adminCommand(from, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', await idOf(to));
  if (stopAt !== 'migrating') await finishSlotMigration(cluster, slot, from, to);
}

/** Moves `keys` (of a slot being migrated) from the primary on port `from` to the one on `to` (`MIGRATE`). */
export async function moveKeys(from: number, to: number, ...keys: string[]): Promise<void> {
  await adminCommand(from, 'MIGRATE', '127.0.0.1', to, '', 0, 5_000, 'REPLACE', 'KEYS', ...keys);
}

/** Moves the keys of `slot` still on `from` to `to` and makes `to` its owner everywhere. */
export async function finishSlotMigration(cluster: ValkeyTestCluster, slot: number, from: number, to: number): Promise<void> {
  for (;;) {
    const keys = (await adminCommand(from, 'CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
    if (keys.length === 0) break;
    await moveKeys(from, to, ...keys);
  }
  const toId = String(await adminCommand(to, 'CLUSTER', 'MYID'));
  const primaries = (await cluster.shards()).map((s) => s.primary);
  for (const port of [to, from, ...primaries.filter((p) => p !== to && p !== from)]) {
    await adminCommand(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId);
  }
  await cluster.waitUntilHealthy(30_000);
}
