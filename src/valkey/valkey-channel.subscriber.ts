import { PacedLogger } from '../errors/paced-logger.js';
import type { Cluster, Redis } from 'iovalkey';
import type { ValkeyClient } from './valkey-client.js';

/** What a {@link ValkeyChannelSubscriber} calls. */
export interface ChannelHandlers {
  /** A message on the channel (raw bytes). */
  message(payload: Buffer): void;
  /**
   * The subscription is in place again after it was lost (reconnect, failover, node change):
   * messages published meanwhile are gone. Not called for the first subscription.
   */
  resubscribed(): void;
}

/** Longest wait between two attempts to (re)subscribe. */
const MAX_BACKOFF_MS = 2_000;

/**
 * Listens to one pub/sub channel on a connection of its own (a connection in subscriber mode can
 * send nothing else). Standalone and Sentinel: a duplicate of the client (same options, its own
 * reconnects, Sentinel included), `SUBSCRIBE`. Cluster: sharded pub/sub, `SSUBSCRIBE` on the
 * primary that owns the channel's slot (`SPUBLISH` is routed there too, so a message crosses no
 * cluster bus); when that connection ends (failover, node gone), the owner is looked up again.
 * The subscription is always made by this class, never replayed by the client, so that it knows
 * when it is in place again and can say so (`resubscribed`).
 */
export class ValkeyChannelSubscriber {
  private readonly log = new PacedLogger();
  private connection: Redis | undefined;
  private subscribedOnce = false;
  /** The subscription is in place on the current connection. */
  private active = false;
  private closed = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ValkeyClient,
    readonly channel: string,
    private readonly handlers: ChannelHandlers,
  ) {}

  /** The subscriber connection's client name (`CLIENT LIST`): `axess-sub:{channel}`. */
  get connectionName(): string {
    return `axess-sub:${this.channel}`;
  }

  /** True once the first subscription is in place and while it holds. */
  get subscribed(): boolean {
    return this.active;
  }

  /** Starts subscribing (in the background; retried until `close`). */
  start(): void {
    if (this.client.isCluster) void this.subscribeOnCluster(this.client as Cluster);
    else this.subscribeStandalone(this.client as Redis);
  }

  /** Ends the subscription and its connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.active = false;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    }
  }

  /** The client's own reconnects (and Sentinel's primary lookups) bring the connection back: subscribe on each `ready`. */
  private subscribeStandalone(client: Redis): void {
    const connection = client.duplicate({ autoResubscribe: false, lazyConnect: true, connectionName: this.connectionName });
    this.connection = connection;
    this.listen(connection, 'messageBuffer');
    connection.on('ready', () => {
      connection.subscribe(this.channel).then(
        () => this.onSubscribed(),
        (error: unknown) => {
          // The next `ready` (after a reconnect) tries again; a refusal (ACL) is worth a loud line.
          this.logError('Could not subscribe to session events', error);
          connection.disconnect(true);
        },
      );
    });
    connection.connect().catch((error: unknown) => this.logError('Could not connect to subscribe to session events', error));
  }

  /** One attempt: find the slot's primary, connect to it, `SSUBSCRIBE`; on any failure, another attempt later. */
  private async subscribeOnCluster(cluster: Cluster): Promise<void> {
    if (this.closed) return;
    let connection: Redis | undefined;
    try {
      const slot = keySlot(this.channel);
      const owner = cluster.slots[slot]?.[0];
      const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
      if (!node) throw new Error(`no known primary owns slot ${slot} yet`);
      connection = node.duplicate({
        autoResubscribe: false,
        lazyConnect: true,
        retryStrategy: () => null,
        connectionName: this.connectionName,
      });
      this.connection = connection;
      this.listen(connection, 'smessageBuffer');
      // No reconnects of its own: a lost connection means looking the owner up again.
      connection.once('end', () => this.retryOnCluster(cluster, connection));
      // A slot migration: the node drops the subscription with an `sunsubscribe` nobody asked for
      // (the client reports it as an error); a fresh connection finds the new owner.
      const subscribed = connection;
      connection.on('error', (error: unknown) => {
        if (error instanceof Error && /sunsubscribe/i.test(error.message)) subscribed.disconnect();
      });
      await connection.connect();
      await connection.ssubscribe(this.channel);
      if (this.closed) return;
      this.attempts = 0;
      this.onSubscribed();
    } catch (error) {
      this.logError('Could not subscribe to session events on the cluster', error);
      if (connection) connection.disconnect();
      else this.retryOnCluster(cluster, undefined);
    }
  }

  private retryOnCluster(cluster: Cluster, ended: Redis | undefined): void {
    if (this.closed || (ended !== undefined && this.connection !== ended)) return;
    this.connection = undefined;
    this.attempts += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.attempts, 6));
    // The cluster may not know about a failover yet: ask it again before the next lookup.
    cluster.refreshSlotsCache();
    this.retryTimer = setTimeout(() => void this.subscribeOnCluster(cluster), delay);
  }

  private listen(connection: Redis, event: 'messageBuffer' | 'smessageBuffer'): void {
    connection.on(event, (channel: Buffer, payload: Buffer) => {
      if (channel.toString() === this.channel) this.handlers.message(payload);
    });
    // Errors end in a reconnect (standalone) or an `end` (cluster); they are logged, never thrown.
    connection.on('error', (error: unknown) => this.logError('Session events connection error', error));
    connection.on('close', () => {
      if (this.connection === connection) this.active = false;
    });
  }

  private onSubscribed(): void {
    if (this.closed) return;
    this.active = true;
    if (this.subscribedOnce) this.handlers.resubscribed();
    this.subscribedOnce = true;
  }

  /** Paced: a Valkey that is down must not flood the log. */
  private logError(what: string, error: unknown): void {
    if (this.closed) return;
    this.log.warn('subscriber', `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The Cluster hash slot of `key`: CRC16-XMODEM of the key (or of its `{hash tag}`) modulo 16384. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = Buffer.from(close > open + 1 ? key.slice(open + 1, close) : key, 'utf8');
  let crc = 0;
  for (const byte of hashed) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
