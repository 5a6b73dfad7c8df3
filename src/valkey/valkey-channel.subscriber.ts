import { PacedLogger } from '../errors/paced-logger.js';
import type { Cluster, Redis } from 'iovalkey';
import { SubscriberConnection, type SubscriberFailure } from './subscriber-connection.js';
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

/** Longest wait between two attempts to (re)subscribe on a Cluster. */
const MAX_BACKOFF_MS = 2_000;

/** What a failure of the subscriber connection is logged as. */
const FAILURES: Record<SubscriberFailure, string> = {
  connect: 'Could not connect to subscribe to session events',
  subscribe: 'Could not subscribe to session events',
  connection: 'Session events connection error',
};

/** The client name of the subscriber connection of `channel` (`CLIENT LIST`). */
export function subscriberConnectionName(channel: string): string {
  return `axess-sub:${channel}`;
}

/**
 * Listens to one pub/sub channel on a connection of its own ({@link SubscriberConnection}: a
 * connection in subscriber mode can send nothing else). Standalone and Sentinel: a duplicate of
 * the client (same options, its own reconnects, Sentinel included), `SUBSCRIBE`. Cluster: sharded
 * pub/sub, `SSUBSCRIBE` on the primary that owns the channel's slot (`SPUBLISH` is routed there
 * too, so a message crosses no cluster bus); when that connection ends (failover, node gone, slot
 * migrated), the owner is looked up again. Says when the subscription is in place again after it
 * was lost (`resubscribed`).
 */
export class ValkeyChannelSubscriber {
  private readonly log = new PacedLogger();
  private connection: SubscriberConnection | undefined;
  private subscribedOnce = false;
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
    return subscriberConnectionName(this.channel);
  }

  /** True once the first subscription is in place and while it holds. */
  get subscribed(): boolean {
    return this.connection?.subscribed ?? false;
  }

  /** Starts subscribing (in the background; retried until `close`). */
  start(): void {
    if (this.client.isCluster) this.subscribeOnCluster(this.client as Cluster);
    // The client's own reconnects (and Sentinel's primary lookups) bring the connection back.
    else this.open(this.client as Redis);
  }

  /** Ends the subscription and its connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  /** Subscribes through `from`; on a Cluster (`cluster` given) sharded, and once that connection ends, on the owner looked up again. */
  private open(from: Redis, cluster?: Cluster): void {
    const connection: SubscriberConnection = new SubscriberConnection(
      from,
      // No reconnects of its own on a Cluster: a lost connection means looking the owner up again.
      {
        channel: this.channel,
        sharded: cluster !== undefined,
        connectionName: this.connectionName,
        overrides: cluster ? { retryStrategy: () => null } : {},
      },
      {
        message: (payload) => {
          if (Buffer.isBuffer(payload)) this.handlers.message(payload);
        },
        subscribed: () => this.onSubscribed(),
        lost: () => undefined,
        failed: (what, error) => this.logError(FAILURES[what], error),
        ended: cluster ? () => this.retryOnCluster(cluster, connection) : undefined,
      },
    );
    this.connection = connection;
    connection.start();
  }

  /** One attempt: find the slot's primary and subscribe there; when that fails or ends, another attempt later. */
  private subscribeOnCluster(cluster: Cluster): void {
    if (this.closed) return;
    const slot = keySlot(this.channel);
    const owner = cluster.slots[slot]?.[0];
    const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (node) this.open(node, cluster);
    else {
      this.logError('Could not subscribe to session events on the cluster', new Error(`no known primary owns slot ${slot} yet`));
      this.retryOnCluster(cluster, undefined);
    }
  }

  private retryOnCluster(cluster: Cluster, ended: SubscriberConnection | undefined): void {
    if (this.closed || (ended !== undefined && this.connection !== ended)) return;
    this.connection = undefined;
    this.attempts += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.attempts, 6));
    // The cluster may not know about a failover yet: ask it again before the next lookup.
    cluster.refreshSlotsCache();
    this.retryTimer = setTimeout(() => this.subscribeOnCluster(cluster), delay);
  }

  private onSubscribed(): void {
    if (this.closed) return;
    this.attempts = 0;
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
