import type { ChainableCommander } from 'iovalkey';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ValkeyClient } from './valkey-client.js';
import { assertWholeNumber } from '../errors/whole-number.js';
import { redirectedPipeline } from './cluster-redirect.js';

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
  assertWholeNumber(options.replicas, 'durableWrites.replicas');
  // WAIT with timeout 0 blocks until enough replicas answer, possibly forever.
  assertWholeNumber(options.timeoutMs, 'durableWrites.timeoutMs', { unit: 'milliseconds' });
}

/**
 * Sends one single-key write followed by `WAIT replicas timeoutMs` in one pipeline (one round
 * trip). The pipeline keeps both on one connection, which is what WAIT needs: it counts the
 * replicas that caught up with that connection's writes. On a Cluster, iovalkey sends a
 * pipeline to the node owning its keyed command's slot, so WAIT reaches the node holding the key
 * (a WAIT sent alone has no key and would go to a random node). A `MOVED` or `ASK` reply to the
 * write (a slot migrated since the client read the slot map) sends the pipeline once more to the
 * node it names (see `redirectedPipeline`).
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
  let results = await sendWithWait(client.pipeline(), durable, operation, write);
  // A slot that moved (or is moving) since the client's slot map was read: the write did not
  // run, so it is sent once more, with its WAIT, to the node the server named.
  const redirected = redirectedPipeline(client, results[0][0]);
  if (redirected !== undefined) results = await sendWithWait(redirected, durable, operation, write);
  const [[writeError, reply], waited] = results;
  if (writeError) throw SessionStoreError.fromClient(operation, writeError);
  if (applied(reply as T)) checkAcknowledged(durable, operation, waited);
  return reply as T;
}

/** Runs `write` and `WAIT` at the end of `pipeline` (after an `ASKING` it may start with); answers the two replies. */
async function sendWithWait(
  pipeline: ChainableCommander,
  durable: DurableWritesOptions,
  operation: string,
  write: (pipeline: ChainableCommander) => ChainableCommander,
): Promise<Array<[Error | null, unknown]>> {
  let results: Array<[Error | null, unknown]> | null;
  try {
    results = await write(pipeline).wait(durable.replicas, durable.timeoutMs).exec();
  } catch (error) {
    throw SessionStoreError.fromClient(operation, error);
  }
  if (!results || results.length < 2) throw new SessionStoreError('connection', `Valkey ${operation} failed: the pipeline did not run.`);
  return results.slice(-2);
}

/** A session write (`SET key bytes PX ttl`, with `NX`/`XX` when given) and its `WAIT`; the reply (`'OK'` when written). */
export function durableSet(
  client: ValkeyClient,
  durable: DurableWritesOptions,
  operation: string,
  key: string,
  bytes: Buffer,
  ttlMs: number,
  flag?: 'NX' | 'XX',
): Promise<string | null> {
  const set = (p: ChainableCommander) =>
    flag === undefined
      ? p.set(key, bytes, 'PX', ttlMs)
      : flag === 'NX'
        ? p.set(key, bytes, 'PX', ttlMs, 'NX')
        : p.set(key, bytes, 'PX', ttlMs, 'XX');
  // A refused conditional write changed nothing and need not be replicated.
  return writeAndWait<string | null>(client, durable, operation, set, (reply) => reply === 'OK');
}

/**
 * Sends single-key writes with `WAIT` (deletions, gone-markers, evictions, revocations): on one
 * server (or a Sentinel-managed primary) all of them and one `WAIT` in one pipeline; on a
 * Cluster one write + `WAIT` pipeline per key, sent together, so each `WAIT` runs on the node
 * holding its key (a pipeline goes to the node of its keyed command).
 * `WAIT` counts the replicas that caught up with every earlier write of the connection, so one
 * at the end covers the whole pipeline. Replies come back in the order of `writes`.
 * @throws SessionStoreError `replication` when fewer replicas acknowledged in time (the writes are
 *   applied on the primary, and lost if it fails over now): the caller must not report success.
 */
export async function writeAllAndWait(
  client: ValkeyClient,
  durable: DurableWritesOptions,
  operation: string,
  writes: ReadonlyArray<(pipeline: ChainableCommander) => ChainableCommander>,
): Promise<unknown[]> {
  if (writes.length === 0) return [];
  if (client.isCluster) {
    return Promise.all(writes.map((write) => writeAndWait<unknown>(client, durable, operation, write, () => true)));
  }
  let results: Array<[Error | null, unknown]> | null;
  try {
    const pipeline = writes.reduce((p, write) => write(p), client.pipeline());
    results = await pipeline.wait(durable.replicas, durable.timeoutMs).exec();
  } catch (error) {
    throw SessionStoreError.fromClient(operation, error);
  }
  if (!results || results.length !== writes.length + 1) {
    throw new SessionStoreError('connection', `Valkey ${operation} failed: the pipeline did not run.`);
  }
  const replies = results.slice(0, -1).map(([error, reply]) => {
    if (error) throw SessionStoreError.fromClient(operation, error);
    return reply;
  });
  checkAcknowledged(durable, operation, results[results.length - 1]);
  return replies;
}

/** Throws `SessionStoreError('replication')` unless the `WAIT` reply counts enough replicas. */
export function checkAcknowledged(
  durable: DurableWritesOptions,
  operation: string,
  [waitError, acknowledged]: [Error | null, unknown],
): void {
  if (waitError) throw SessionStoreError.fromClient(operation, waitError);
  if (typeof acknowledged !== 'number' || acknowledged < durable.replicas) {
    throw new SessionStoreError(
      'replication',
      `Valkey ${operation} was acknowledged by ${String(acknowledged)} of ${durable.replicas} required replicas ` +
        `within ${durable.timeoutMs} ms.`,
    );
  }
}
