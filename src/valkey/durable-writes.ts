import type { ChainableCommander } from 'iovalkey';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ValkeyClient } from './valkey-client.js';

/** Durable writes: how many replicas must acknowledge a write, and how long to wait for them. */
export interface DurableWritesOptions {
  /** Replicas that must acknowledge each write (`WAIT numreplicas`); at least 1. */
  replicas: number;
  /** Longest wait for them in ms (`WAIT … timeout`); at least 1 (0 would block forever). */
  timeoutMs: number;
}

/** Throws `AxessOptionsError('durableWrites')` unless `value` is a valid {@link DurableWritesOptions}. */
export function assertDurableWrites(value: unknown): asserts value is DurableWritesOptions {
  const options = value as Partial<DurableWritesOptions> | null;
  if (typeof options !== 'object' || options === null) {
    throw new AxessOptionsError('durableWrites', 'must be an object { replicas, timeoutMs }.');
  }
  if (typeof options.replicas !== 'number' || !Number.isSafeInteger(options.replicas) || options.replicas < 1) {
    throw new AxessOptionsError('durableWrites', 'replicas must be a whole number, at least 1.');
  }
  // WAIT with timeout 0 blocks until enough replicas answer, possibly forever.
  if (typeof options.timeoutMs !== 'number' || !Number.isSafeInteger(options.timeoutMs) || options.timeoutMs < 1) {
    throw new AxessOptionsError('durableWrites', 'timeoutMs must be a whole number of ms, at least 1.');
  }
}

/**
 * Sends one single-key write followed by `WAIT replicas timeoutMs` in one pipeline (one round
 * trip). The pipeline keeps both on one connection, which is what WAIT needs: it counts the
 * replicas that caught up with that connection's writes. On a Cluster, iovalkey sends a
 * pipeline to the node owning its keyed command's slot, so WAIT reaches the node holding the key
 * (a WAIT sent alone has no key and would go to a random node).
 *
 * @param applied whether the write changed anything (a refused `SET NX` need not be replicated).
 * @returns the write's reply.
 * @throws SessionStoreError `replication` when fewer replicas acknowledged an applied write in
 *   time (the write may still be on the primary, and is lost if it fails over now).
 */
export async function writeAndWait<T>(
  client: ValkeyClient,
  durable: DurableWritesOptions,
  operation: string,
  write: (pipeline: ChainableCommander) => ChainableCommander,
  applied: (reply: T) => boolean,
): Promise<T> {
  let results: Array<[Error | null, unknown]> | null;
  try {
    results = await write(client.pipeline()).wait(durable.replicas, durable.timeoutMs).exec();
  } catch (error) {
    throw SessionStoreError.fromClient(operation, error);
  }
  if (!results || results.length !== 2) throw new SessionStoreError('connection', `Valkey ${operation} failed: the pipeline did not run.`);
  const [[writeError, reply], [waitError, acknowledged]] = results;
  if (writeError) throw SessionStoreError.fromClient(operation, writeError);
  if (!applied(reply as T)) return reply as T;
  if (waitError) throw SessionStoreError.fromClient(operation, waitError);
  if (typeof acknowledged !== 'number' || acknowledged < durable.replicas) {
    throw new SessionStoreError(
      'replication',
      `Valkey ${operation} was acknowledged by ${String(acknowledged)} of ${durable.replicas} required replicas ` +
        `within ${durable.timeoutMs} ms.`,
    );
  }
  return reply as T;
}
