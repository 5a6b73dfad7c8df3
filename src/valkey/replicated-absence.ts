import type { DurableWritesOptions } from './durable-writes.js';
import { luaScript, runLuaScript } from './lua-script.js';
import type { ValkeyClient } from './valkey-client.js';

/**
 * `1` when the record exists. Otherwise `0`, after a write that leaves nothing behind (`SET` then
 * `DEL`, applied together on the replicas): it puts the absence on the replication stream, behind
 * every earlier write of the primary, where the `WAIT` that follows it can count it. A `DEL` of an
 * absent key would not travel at all.
 */
const CONFIRM_ABSENCE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('SET', KEYS[1], '')
redis.call('DEL', KEYS[1])
return 0
`);

/**
 * Of the session records at `keys` that looked absent on their primaries, those whose absence
 * the replicas confirm (`WAIT`), so that a failover cannot bring them back. A record found absent
 * may have been deleted by a write the replicas never got (a revocation answered 503 while
 * replication was cut): a Cluster admission that pruned its member on that read alone would
 * leave the session alive after the failover, outside the registry, where revoke-others and
 * revoke-all no longer reach it. One script and `WAIT` per record, on the record's node.
 * @returns per key, in order, whether its absence is confirmed (`false` for a record that is back).
 * @throws SessionStoreError `replication` when too few replicas acknowledged in time: nothing is
 *   known then, and the caller must not prune.
 */
export async function replicatedAbsence(
  client: ValkeyClient,
  durable: DurableWritesOptions,
  keys: readonly string[],
  operation: string,
): Promise<boolean[]> {
  const present = await Promise.all(keys.map((key) => runLuaScript(client, CONFIRM_ABSENCE, key, [], operation, durable)));
  return present.map((reply) => reply === 0);
}
