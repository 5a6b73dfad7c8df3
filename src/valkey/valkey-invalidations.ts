import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'iovalkey';
import type { CacheCoherence, InvalidationListener } from '../cache/cache-coherence.js';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { PacedLogger } from '../errors/paced-logger.js';
import { DEFAULT_MAX_STALENESS_MS } from '../cache/local-cache.options.js';
import { TrackedNode, type TrackingOwner } from './tracked-node.js';
import type { ValkeyClient } from './valkey-client.js';

export { INVALIDATION_CHANNEL, INVALIDATION_CONNECTION_NAME } from './tracked-node.js';

/** Heartbeats per `maxStalenessMs`: a late or lost one or two do not yet stop the serving. */
const HEARTBEATS_PER_PERIOD = 4;

/** Options of {@link ValkeyInvalidations}. */
export interface ValkeyInvalidationsOptions {
  /** Keys whose modifications are tracked, e.g. `axess:sess:`; an invalidation's id is the key without it. */
  keyPrefix: string;
  /** Where coherence changes are reported (paced). @default new Logger('AxessSession') */
  logger?: Logger;
  /** Monotonic milliseconds. @default performance.now */
  now?: () => number;
  /**
   * How long a confirmation holds: copies are served only within this time of the last heartbeat
   * that confirmed tracking on every node (the `localCache.maxStalenessMs` option). @default 1000
   */
  maxStalenessMs?: number;
}

/** Clients that already carry a cache's tracking in this process: one cache per client. */
const trackedClients = new WeakSet<object>();

/**
 * Keeps a local cache coherent through Valkey's server-assisted client-side caching, on iovalkey's
 * RESP2 connections: for each node the client talks to (the one server, the Sentinel-reported
 * primary, or every node a Cluster client holds a connection to: its primaries, and its replicas
 * when it holds them), a second connection to the same server subscribes to
 * `__redis__:invalidate`, and the data connection runs `CLIENT TRACKING ON REDIRECT <that id>
 * BCAST PREFIX <keyPrefix> NOLOOP`. A node that joins the client (a promoted replica) is tracked
 * before copies are served again: its arrival flushes the cache and voids reads in flight.
 *
 * - `BCAST PREFIX`: the server sends every modification of a session key (write, delete, expiry,
 *   eviction) to every tracking connection, whether or not it read the key, and keeps no per-key
 *   state. Reads need not be tracking reads (`GETEX` is not one), and a copy this process wrote
 *   stays covered after its own write, which in the default mode would untrack the key.
 * - `NOLOOP`: this process's own writes do not come back; the cache updates its copy itself.
 * - The subscriber must reach the same server as the data connection: both report their
 *   server's `run_id` first (client ids are only unique per server).
 *
 * Fail safe: when either connection of a node closes, a node joins or leaves, tracking cannot be
 * set up, or a heartbeat fails or shows tracking changed, the cache is flushed and bypassed
 * (`coherent` false) until tracking is confirmed again. A `nil` invalidation (FLUSHALL, FLUSHDB)
 * flushes everything. Copies are served only within `maxStalenessMs` of the last confirmation (a
 * heartbeat every quarter of it): a connection that dies silently (no FIN) stops the serving
 * within that time, and as a heartbeat's reply comes behind the invalidations sent before it, no
 * copy is served more than `maxStalenessMs` after the change that invalidated it.
 */
export class ValkeyInvalidations implements CacheCoherence, TrackingOwner {
  private readonly nodes = new Map<Redis, TrackedNode>();
  private readonly log: PacedLogger;
  readonly now: () => number;
  /** How long a confirmation holds. */
  readonly maxStalenessMs: number;
  private listener: InvalidationListener | undefined;
  private epochValue = 0;
  /** Monotonic ms until which copies may be served; 0 while any node is not confirmed. */
  private validUntil = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private waiters: Array<() => void> = [];
  private wasCoherent = false;
  /** The tracked prefix as it is on the wire (iovalkey's `keyPrefix` option, then the session prefix). */
  readonly wirePrefix: string;

  constructor(
    private readonly client: ValkeyClient,
    options: ValkeyInvalidationsOptions,
  ) {
    this.log = new PacedLogger(options.logger);
    this.now = options.now ?? (() => performance.now());
    this.maxStalenessMs = options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS;
    const clientPrefix = (client.isCluster ? (client as Cluster).options.keyPrefix : (client as Redis).options.keyPrefix) ?? '';
    this.wirePrefix = clientPrefix + options.keyPrefix;
  }

  get coherent(): boolean {
    return this.now() < this.validUntil;
  }

  get epoch(): number {
    return this.epochValue;
  }

  connect(listener: InvalidationListener): void {
    this.listener = listener;
  }

  /**
   * Sets tracking up on every node (asynchronously: the cache is bypassed until it is
   * confirmed) and keeps it up. Throws `AxessOptionsError` when another cache in this process
   * already tracks the client.
   */
  start(): void {
    if (this.started) return;
    if (trackedClients.has(this.client)) {
      throw new AxessOptionsError(
        'localCache',
        'another local cache already tracks this Valkey client: give each module with a local cache its own client (or connection options).',
      );
    }
    trackedClients.add(this.client);
    this.started = true;
    if (this.client.isCluster) {
      const cluster = this.client as Cluster;
      cluster.on('+node', this.onNodeAdded);
      cluster.on('-node', this.onNodeRemoved);
      for (const node of cluster.nodes('all')) this.addNode(node);
    } else {
      this.addNode(this.client as Redis);
    }
    this.heartbeat = setInterval(
      () => {
        for (const node of this.nodes.values()) node.beat();
      },
      Math.max(1, Math.floor(this.maxStalenessMs / HEARTBEATS_PER_PERIOD)),
    );
    this.heartbeat.unref();
  }

  /** Resolves once copies may be served (tracking confirmed on every node). For tests, benchmarks and warm-up. */
  whenCoherent(): Promise<void> {
    if (this.coherent) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops tracking (turned off on connections that stay open), closes the subscribers, flushes the cache. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.client.isCluster) {
      const cluster = this.client as Cluster;
      cluster.off('+node', this.onNodeAdded);
      cluster.off('-node', this.onNodeRemoved);
    }
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    this.validUntil = 0;
    this.epochValue++;
    this.listener?.flush();
    await Promise.all(nodes.map((node) => node.close()));
    if (this.started) trackedClients.delete(this.client);
  }

  /** Delivered by a subscriber. @internal */
  deliver(message: unknown): void {
    if (!Array.isArray(message)) {
      // nil: the data set was flushed. Anything else is not an invalidation we know: flush too.
      this.epochValue++;
      this.listener?.flush();
      return;
    }
    const ids: string[] = [];
    for (const key of message as unknown[]) {
      const name = Buffer.isBuffer(key) ? key.toString() : String(key);
      if (name.startsWith(this.wirePrefix)) ids.push(name.slice(this.wirePrefix.length));
    }
    if (ids.length > 0) this.listener?.invalidate(ids);
  }

  /** A node lost tracking (or may have): flush and stop serving at once. @internal */
  lost(reason: string): void {
    this.validUntil = 0;
    this.epochValue++;
    this.listener?.flush();
    if (this.closed) return;
    if (this.wasCoherent) {
      this.wasCoherent = false;
      this.warn(`Local session cache bypassed until Valkey tracking is confirmed again: ${reason}.`);
    }
  }

  /** A node's confirmation moved: recompute until when copies may be served. @internal */
  confirmed(): void {
    if (this.closed || this.nodes.size === 0) return;
    let oldest = Infinity;
    for (const node of this.nodes.values()) oldest = Math.min(oldest, node.confirmedAt);
    this.validUntil = oldest > 0 ? oldest + this.maxStalenessMs : 0;
    if (this.validUntil === 0) return;
    this.wasCoherent = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Paced: a flapping connection must not flood the logs. @internal */
  warn(message: string): void {
    if (!this.closed) this.log.warn('invalidations', message);
  }

  private readonly onNodeAdded = (node: Redis): void => {
    this.addNode(node);
  };

  private readonly onNodeRemoved = (node: Redis): void => {
    const tracked = this.nodes.get(node);
    if (!tracked) return;
    this.nodes.delete(node);
    // Copies read from it would no longer be invalidated.
    this.lost('a Cluster node left the client');
    void tracked.close();
    this.confirmed();
  };

  private addNode(node: Redis): void {
    if (this.closed || this.nodes.has(node)) return;
    // Until it is tracked, a read it serves would not be covered.
    this.lost('a Cluster node joined the client');
    const tracked = new TrackedNode(node, this);
    this.nodes.set(node, tracked);
    tracked.open();
  }
}
