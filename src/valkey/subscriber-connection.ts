import type { Redis, RedisOptions } from 'iovalkey';

/** Options of a {@link SubscriberConnection}. */
export interface SubscriberConnectionOptions<T> {
  /** The channel subscribed to. */
  channel: string;
  /** `SSUBSCRIBE` (Cluster sharded pub/sub, on the node that owns the channel's slot) instead of `SUBSCRIBE`. */
  sharded?: boolean;
  /** `CLIENT SETNAME` of the connection (what `CLIENT LIST` shows). */
  connectionName: string;
  /**
   * Options of the duplicate beyond the ones it always gets (no replayed subscriptions, connected
   * by `start`). `retryStrategy: () => null`: no reconnects; `ended` says when it is gone for good.
   */
  overrides?: Partial<RedisOptions>;
  /** Runs on each fresh connection before it subscribes: a subscribed RESP2 connection can send nothing else. */
  prepare?: (connection: Redis) => Promise<T>;
}

/** What failed: the first connection, a `prepare` or subscription on a fresh connection, or the connection later on. */
export type SubscriberFailure = 'connect' | 'subscribe' | 'connection';

/** What a {@link SubscriberConnection} reports to its owner. */
export interface SubscriberHandlers<T> {
  /** A message on the channel, as the client parsed it (bytes, or an array for `__redis__:invalidate`). */
  message(payload: unknown): void;
  /** The subscription is in place on a new connection; `prepared` is what `prepare` returned on it. */
  subscribed(prepared: T): void;
  /** The subscription is gone (the connection's stream ended or it closed); a reconnect subscribes again. */
  lost(): void;
  /** Something failed that the connection recovers from by itself: worth a paced log line. */
  failed(what: SubscriberFailure, error: unknown): void;
  /** The connection ended for good (no reconnect left). Not called after `close`. */
  ended?(): void;
}

/** Longest `close` waits for the socket to end: a server that does not answer does not hold up a shutdown. */
const CLOSE_WAIT_MS = 1_000;

/**
 * One connection in subscriber mode, duplicated from a client or node connection (same server,
 * same options), that subscribes again by itself on each `ready` after a reconnect. The client
 * never replays the subscription (`autoResubscribe: false`): this class makes it, so it knows
 * when it is in place and says so. The event relay and the local cache's invalidations both
 * listen through it.
 *
 * - The loss is reported on the socket's end of stream, a turn or two before the client's
 *   `close`: an owner that serves data on the strength of the subscription stops at once.
 * - A failed `prepare` or subscription drops the connection, so that a fresh one tries again.
 * - Sharded: a slot migration makes the node drop the subscription with an `sunsubscribe` nobody
 *   asked for (the client reports it as an error); the connection is closed so the owner can
 *   subscribe on the new owner of the slot.
 */
export class SubscriberConnection<T = void> {
  /** The subscriber connection (for a `PING`, or a deliberate restart). */
  readonly connection: Redis;
  /** Bumped on each loss: a subscription started before it is void. */
  private generation = 0;
  private up = false;
  private live = false;
  private closed = false;

  constructor(
    from: Redis,
    private readonly options: SubscriberConnectionOptions<T>,
    private readonly handlers: SubscriberHandlers<T>,
  ) {
    this.connection = from.duplicate({
      ...options.overrides,
      connectionName: options.connectionName,
      lazyConnect: true,
      autoResubscribe: false,
      // The client's fallback timer when it closes a socket that is already gone: short, so a shutdown leaves nothing pending.
      disconnectTimeout: 200,
    });
    this.connection.on('ready', this.onReady);
    this.connection.on('close', this.onDown);
    this.connection.on('end', this.onEnd);
    // Errors end in a reconnect or an `end`; they are reported, never thrown (and swallowed once closed).
    this.connection.on('error', this.onError);
    this.connection.on(options.sharded ? 'smessageBuffer' : 'messageBuffer', this.onMessage);
  }

  /** True while the subscription is in place on the current connection. */
  get subscribed(): boolean {
    return this.live;
  }

  /** Connects (in the background) and subscribes on each `ready`. */
  start(): void {
    this.connection.connect().catch((error: unknown) => {
      if (!this.closed) this.handlers.failed('connect', error);
    });
  }

  /** Drops the connection and lets a reconnect subscribe afresh (a subscriber that stopped answering). */
  restart(): void {
    this.onDown();
    this.connection.disconnect(true);
  }

  /** Ends the subscription and its connection; resolves once the socket ended (or after a short wait). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    this.generation++;
    const connection = this.connection;
    connection.off('ready', this.onReady);
    connection.off('close', this.onDown);
    connection.off('end', this.onEnd);
    connection.off(this.options.sharded ? 'smessageBuffer' : 'messageBuffer', this.onMessage);
    // Waited for only while a socket is open (a client between reconnection attempts has none, and ends without an event).
    const open = ['connecting', 'connect', 'ready'].includes(connection.status);
    const ended = open ? new Promise<void>((resolve) => connection.once('end', () => resolve())) : undefined;
    connection.disconnect();
    if (!ended) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private readonly onReady = (): void => {
    this.up = true;
    const stream = this.connection.stream;
    stream.once('end', () => {
      if (this.connection.stream === stream) this.onDown();
    });
    void this.subscribe(this.generation);
  };

  private readonly onDown = (): void => {
    this.live = false;
    if (!this.up || this.closed) return;
    this.up = false;
    this.generation++;
    this.handlers.lost();
  };

  private readonly onEnd = (): void => {
    this.handlers.ended?.();
  };

  private readonly onError = (error: Error): void => {
    if (this.closed) return;
    this.handlers.failed('connection', error);
    if (this.options.sharded && /sunsubscribe/i.test(error.message)) this.connection.disconnect();
  };

  private readonly onMessage = (channel: Buffer, payload: unknown): void => {
    if (channel.toString() === this.options.channel) this.handlers.message(payload);
  };

  private async subscribe(generation: number): Promise<void> {
    const { channel, sharded, prepare } = this.options;
    try {
      const prepared = prepare ? await prepare(this.connection) : (undefined as T);
      await (sharded ? this.connection.ssubscribe(channel) : this.connection.subscribe(channel));
      if (this.closed || generation !== this.generation) return;
      this.live = true;
      this.handlers.subscribed(prepared);
    } catch (error) {
      if (this.closed || generation !== this.generation) return;
      this.handlers.failed('subscribe', error);
      this.connection.disconnect(true);
    }
  }
}
