import type { ChainableCommander, Cluster, Redis } from 'iovalkey';
import type { ValkeyClient } from './valkey-client.js';

/**
 * Where a Cluster sent a command that reached the wrong node: `MOVED` (the slot now lives on
 * another primary) or `ASK` (the slot is migrating and this key is already on the importing
 * node, which serves it only after `ASKING`). iovalkey follows these for single commands, and
 * for a pipeline only when every command failed alike or the others are read-only: a write
 * followed by `WAIT` (which succeeds on the old node) is handed back with the redirection. With a
 * `natMap`, a pipeline's `ASK` is handed back too (iovalkey looks the node up unmapped).
 *
 * @returns a fresh pipeline on the node the error names (starting with `ASKING` for `ASK`), or
 *   `undefined` when `error` is no redirection or that node is not among the client's primaries.
 *   A `MOVED` also starts a refresh of the client's slot map, so later commands go right at once.
 */
export function redirectedPipeline(client: ValkeyClient, error: unknown): ChainableCommander | undefined {
  if (!client.isCluster || !(error instanceof Error)) return undefined;
  const [code, , address] = error.message.split(' ');
  if ((code !== 'MOVED' && code !== 'ASK') || address === undefined) return undefined;
  const cluster = client as Cluster;
  if (code === 'MOVED') cluster.refreshSlotsCache();
  const node = primaryAt(cluster, address);
  if (node === undefined) return undefined;
  return code === 'ASK' ? node.pipeline().asking() : node.pipeline();
}

/** The client's connection to the primary the server calls `address` (`host:port`), mapped through the client's `natMap`. */
function primaryAt(cluster: Cluster, address: string): Redis | undefined {
  const natMap = cluster.options.natMap;
  const mapped = typeof natMap === 'function' ? natMap(address) : natMap?.[address];
  const wanted = mapped ? `${mapped.host}:${mapped.port}` : address;
  return cluster.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === wanted);
}
