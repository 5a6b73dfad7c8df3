import type { Logger } from '@nestjs/common';
import { PacedLogger } from '../errors/paced-logger.js';
import type { Cluster, Redis, RedisOptions } from 'iovalkey';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import type { ValkeyClient } from '../valkey/valkey-client.js';
import type { CacheCoherence, InvalidationListener } from './cache-coherence.js';

/** The Pub/Sub channel Valkey sends redirected invalidations to under RESP2. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';
/** `CLIENT SETNAME` of the subscriber connections (visible in `CLIENT LIST`). */
export const INVALIDATION_CONNECTION_NAME = 'axess-invalidations';

/** How often each node's tracking is re-confirmed (a `PING` on its subscriber, `CLIENT TRACKINGINFO` on its data connection). */
export const HEARTBEAT_MS = 1_000;
/** How long a confirmation holds: past it, with no newer one, copies are no longer served. */
export const CONFIRMATION_VALID_MS = 2_500;
const RETRY_MS = [50, 100, 250, 500, 1_000, 2_000];
const CHANNEL_BYTES = Buffer.from(INVALIDATION_CHANNEL);

/** Options of {@link ValkeyInvalidations}. */
export interface ValkeyInvalidationsOptions {
  /** Keys whose modifications are tracked, e.g. `axess:sess:`; an invalidation's id is the key without it. */
  keyPrefix: string;
  /** Where coherence changes are reported (paced). @default new Logger('AxessSession') */
  logger?: Logger;
  /** Monotonic milliseconds. @default performance.now */
  now?: () => number;
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
 * flushes everything. Copies are served only within {@link CONFIRMATION_VALID_MS} of the last
 * confirmation: a connection that dies silently (no FIN) stops the serving within that time.
 */
export class ValkeyInvalidations implements CacheCoherence {
  private readonly nodes = new Map<Redis, TrackedNode>();
  private readonly log: PacedLogger;
  readonly now: () => number;
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
    this.heartbeat = setInterval(() => {
      for (const node of this.nodes.values()) node.beat();
    }, HEARTBEAT_MS);
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
  deliver(channel: Buffer, message: unknown): void {
    if (!CHANNEL_BYTES.equals(channel)) return;
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
    this.validUntil = oldest > 0 ? oldest + CONFIRMATION_VALID_MS : 0;
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

/** One server the client talks to: its data connection (tracked) and a subscriber on the same server. */
class TrackedNode {
  /** Monotonic ms when the last confirmation was sent; 0 while not tracking. */
  confirmedAt = 0;
  private readonly sub: Redis;
  /** Bumped whenever either connection drops: work started before is void. */
  private generation = 0;
  /** The subscriber's client id and server, once it is subscribed. */
  private subscribed: { id: number; runId: string } | undefined;
  private settingUp = false;
  private again = false;
  private beating = false;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly data: Redis,
    private readonly owner: ValkeyInvalidations,
  ) {
    const override: Partial<RedisOptions> = {
      connectionName: INVALIDATION_CONNECTION_NAME,
      lazyConnect: true,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      readOnly: false,
      keyPrefix: undefined,
      // The client's fallback timer when it closes a socket that is already gone: short, so a shutdown leaves nothing pending.
      disconnectTimeout: 200,
      // A Cluster's node connections never reconnect (the client replaces them); the subscriber does, until its node goes.
      retryStrategy: (times: number) => RETRY_MS[Math.min(times, RETRY_MS.length) - 1],
    };
    this.sub = data.duplicate(override);
  }

  open(): void {
    this.data.on('ready', this.onDataReady);
    this.data.on('close', this.onDataClosed);
    this.sub.on('ready', this.onSubReady);
    this.sub.on('close', this.onSubClosed);
    this.sub.on('error', this.onSubError);
    this.sub.on('messageBuffer', this.onMessage);
    // A Cluster creates node connections lazily; replicas would otherwise connect only once promoted, untracked.
    if (this.data.status === 'wait') this.data.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.confirmedAt = 0;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.data.off('ready', this.onDataReady);
    this.data.off('close', this.onDataClosed);
    this.sub.off('ready', this.onSubReady);
    this.sub.off('close', this.onSubClosed);
    this.sub.off('messageBuffer', this.onMessage);
    // The error listener stays: errors of the closing connection are not worth a log line, nor an unhandled 'error'.
    // Waited for only while a socket is open (a client between reconnection attempts has none, and ends without an event).
    const open = ['connecting', 'connect', 'ready'].includes(this.sub.status);
    const ended = open ? new Promise<void>((resolve) => this.sub.once('end', () => resolve())) : undefined;
    this.sub.disconnect();
    // A connection that stays open (the app's own client) is left as it was found.
    const off = this.data.status === 'ready' ? this.data.call('CLIENT', 'TRACKING', 'OFF').catch(() => undefined) : undefined;
    // A server that does not answer does not hold up the shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([ended, off]), new Promise<void>((resolve) => (timer = setTimeout(resolve, HEARTBEAT_MS)))]);
    clearTimeout(timer);
  }

  /** One heartbeat: the subscriber answers, and the data connection still redirects its tracking to it. */
  beat(): void {
    if (this.closed || this.confirmedAt === 0 || this.beating) return;
    const subscribed = this.subscribed;
    if (!subscribed) return;
    this.beating = true;
    const generation = this.generation;
    const sentAt = this.owner.now();
    Promise.all([this.sub.ping(), this.data.call('CLIENT', 'TRACKINGINFO')])
      .then(([, info]) => {
        if (generation !== this.generation) return;
        if (!tracksAsSet(info, subscribed.id, this.owner.wirePrefix)) {
          this.down('tracking on the data connection changed');
          void this.setUpTracking();
          return;
        }
        this.confirmedAt = sentAt;
        this.owner.confirmed();
      })
      .catch((error: unknown) => {
        if (generation !== this.generation) return;
        this.down(`a heartbeat failed (${describe(error)})`);
        // The subscriber may be dead without having closed: start it afresh.
        this.subscribed = undefined;
        this.sub.disconnect(true);
      })
      .finally(() => {
        this.beating = false;
      });
  }

  private readonly onDataReady = (): void => {
    this.watchEnd(this.data, this.onDataClosed);
    void this.setUpTracking();
  };

  private readonly onDataClosed = (): void => {
    this.down('the tracked connection closed');
  };

  private readonly onSubReady = (): void => {
    this.watchEnd(this.sub, this.onSubClosed);
    void this.subscribe();
  };

  private readonly onSubClosed = (): void => {
    this.subscribed = undefined;
    this.down('the invalidation connection closed');
  };

  private readonly onSubError = (error: Error): void => {
    this.owner.warn(`Valkey invalidation connection error: ${error.message}`);
  };

  private readonly onMessage = (channel: Buffer, message: unknown): void => {
    this.owner.deliver(channel, message);
  };

  /**
   * Reacts to the socket's end of stream, which comes a turn or two before the client's `close`:
   * a request read in between must not be served from a copy the server no longer covers.
   */
  private watchEnd(connection: Redis, onEnd: () => void): void {
    const stream = connection.stream;
    stream.once('end', () => {
      if (connection.stream === stream && !this.closed) onEnd();
    });
  }

  private down(reason: string): void {
    this.generation++;
    this.confirmedAt = 0;
    if (!this.closed) this.owner.lost(reason);
  }

  /** The subscriber connected: learn its id and server (not possible once subscribed, in RESP2), then subscribe. */
  private async subscribe(): Promise<void> {
    const generation = this.generation;
    try {
      const [id, info] = await Promise.all([this.sub.call('CLIENT', 'ID'), this.sub.call('INFO', 'server')]);
      await this.sub.subscribe(INVALIDATION_CHANNEL);
      if (this.closed || generation !== this.generation) return;
      this.subscribed = { id: Number(id), runId: runIdOf(info) };
      await this.setUpTracking();
    } catch (error) {
      if (this.closed || generation !== this.generation) return;
      this.owner.warn(`Could not subscribe to Valkey invalidations: ${describe(error)}`);
      this.sub.disconnect(true);
    }
  }

  /** Turns tracking on on the data connection, redirected to the subscriber, once both are up. */
  private async setUpTracking(): Promise<void> {
    if (this.closed) return;
    if (this.settingUp) {
      this.again = true;
      return;
    }
    const subscribed = this.subscribed;
    // Already confirmed for these connections (both 'ready' events fire at start): turning it off
    // and on again would open a gap in the invalidations while copies are being served.
    if (!subscribed || this.data.status !== 'ready' || this.confirmedAt > 0) return;
    this.settingUp = true;
    const generation = this.generation;
    try {
      const info = await this.data.call('INFO', 'server');
      if (generation !== this.generation || this.closed) return;
      if (runIdOf(info) !== subscribed.runId) {
        throw new Error('the invalidation connection reached another server than the tracked one');
      }
      // OFF first: ON again with the same BCAST prefix is refused as an overlapping prefix.
      const sentAt = this.owner.now();
      await Promise.all([
        this.data.call('CLIENT', 'TRACKING', 'OFF'),
        this.data.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(subscribed.id), 'BCAST', 'PREFIX', this.owner.wirePrefix, 'NOLOOP'),
      ]);
      if (generation !== this.generation || this.closed || this.subscribed !== subscribed) return;
      this.retries = 0;
      this.confirmedAt = sentAt;
      this.owner.confirmed();
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      this.owner.warn(`Could not turn on Valkey tracking for the local session cache: ${describe(error)}`);
      this.retryLater();
    } finally {
      this.settingUp = false;
      if (this.again) {
        this.again = false;
        void this.setUpTracking();
      }
    }
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    const delay = RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)];
    this.retryTimer = setTimeout(() => void this.setUpTracking(), delay);
    this.retryTimer.unref();
  }
}

/** The `run_id` field of an `INFO server` reply. */
function runIdOf(info: unknown): string {
  const match = /run_id:([0-9a-f]+)/.exec(String(info));
  if (!match) throw new Error('INFO server did not report a run_id');
  return match[1];
}

/** Whether a `CLIENT TRACKINGINFO` reply shows tracking as it was set up. */
function tracksAsSet(reply: unknown, redirect: number, prefix: string): boolean {
  if (!Array.isArray(reply)) return false;
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const flags = fields.get('flags');
  const prefixes = fields.get('prefixes');
  return (
    Array.isArray(flags) &&
    ['on', 'bcast', 'noloop'].every((flag) => flags.includes(flag)) &&
    !flags.includes('broken_redirect') &&
    Number(fields.get('redirect')) === redirect &&
    Array.isArray(prefixes) &&
    prefixes.map(String).includes(prefix)
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
