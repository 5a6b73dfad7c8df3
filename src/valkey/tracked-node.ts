import type { Redis } from 'iovalkey';
import { SubscriberConnection } from './subscriber-connection.js';

/** The Pub/Sub channel Valkey sends redirected invalidations to under RESP2. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';
/** `CLIENT SETNAME` of the subscriber connections (visible in `CLIENT LIST`). */
export const INVALIDATION_CONNECTION_NAME = 'axess-invalidations';
/** Longest wait for a node's connections to close at shutdown (a server that does not answer does not hold it up). */
const CLOSE_WAIT_MS = 1_000;
const RETRY_MS = [50, 100, 250, 500, 1_000, 2_000];

/** What a {@link TrackedNode} reports to (the invalidations of the whole client). */
export interface TrackingOwner {
  /** Monotonic milliseconds. */
  now(): number;
  /** The tracked prefix as it is on the wire. */
  readonly wirePrefix: string;
  /** An invalidation message arrived. */
  deliver(message: unknown): void;
  /** This node lost tracking (or may have). */
  lost(reason: string): void;
  /** This node's confirmation moved. */
  confirmed(): void;
  /** A paced warning. */
  warn(message: string): void;
}

/** Where a subscriber connection is: its client id and its server (client ids are unique per server only). */
interface Subscribed {
  id: number;
  runId: string;
}

/**
 * One server the client talks to: its data connection, tracked with `CLIENT TRACKING ON REDIRECT
 * <subscriber> BCAST PREFIX <prefix> NOLOOP`, and a subscriber to `__redis__:invalidate` on the
 * same server ({@link SubscriberConnection}). Tracking is set up again whenever either connection
 * comes back, and confirmed by a heartbeat.
 */
export class TrackedNode {
  /** Monotonic ms when the last confirmation was sent; 0 while not tracking. */
  confirmedAt = 0;
  private readonly sub: SubscriberConnection<Subscribed>;
  /** Bumped whenever either connection drops: tracking work started before is void. */
  private generation = 0;
  /** The subscriber's client id and server, once it is subscribed. */
  private subscribed: Subscribed | undefined;
  private settingUp = false;
  private again = false;
  private beating = false;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly data: Redis,
    private readonly owner: TrackingOwner,
  ) {
    this.sub = new SubscriberConnection<Subscribed>(
      data,
      {
        channel: INVALIDATION_CHANNEL,
        connectionName: INVALIDATION_CONNECTION_NAME,
        overrides: {
          autoResendUnfulfilledCommands: false,
          enableOfflineQueue: true,
          enableAutoPipelining: false,
          readOnly: false,
          keyPrefix: undefined,
          // A Cluster's node connections never reconnect (the client replaces them); the subscriber does, until its node goes.
          retryStrategy: (times: number) => RETRY_MS[Math.min(times, RETRY_MS.length) - 1],
        },
        // Its id and server can only be learnt before it subscribes (RESP2).
        prepare: async (connection) => {
          const [id, info] = await Promise.all([connection.call('CLIENT', 'ID'), connection.call('INFO', 'server')]);
          return { id: Number(id), runId: runIdOf(info) };
        },
      },
      {
        message: (message) => owner.deliver(message),
        subscribed: (where) => {
          this.subscribed = where;
          void this.setUpTracking();
        },
        lost: () => {
          this.subscribed = undefined;
          this.down('the invalidation connection closed');
        },
        failed: (what, error) => {
          // A failed connect is retried by the client, and the cache stays bypassed meanwhile.
          if (what === 'connection') owner.warn(`Valkey invalidation connection error: ${describe(error)}`);
          else if (what === 'subscribe') owner.warn(`Could not subscribe to Valkey invalidations: ${describe(error)}`);
        },
      },
    );
  }

  open(): void {
    this.data.on('ready', this.onDataReady);
    this.data.on('close', this.onDataClosed);
    // A Cluster creates node connections lazily; replicas would otherwise connect only once promoted, untracked.
    if (this.data.status === 'wait') this.data.connect().catch(() => undefined);
    this.sub.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.confirmedAt = 0;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.data.off('ready', this.onDataReady);
    this.data.off('close', this.onDataClosed);
    // A connection that stays open (the app's own client) is left as it was found.
    const off = this.data.status === 'ready' ? this.data.call('CLIENT', 'TRACKING', 'OFF').catch(() => undefined) : undefined;
    // A server that does not answer does not hold up the shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.sub.close(), off]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /**
   * One heartbeat (a `PING` on the subscriber, `CLIENT TRACKINGINFO` on the data connection): the
   * subscriber answers, and the data connection still redirects its tracking to it. The `PING`
   * reply comes behind every invalidation the server sent before it, so a confirmation at
   * `sentAt` means every change made before then has been delivered.
   */
  beat(): void {
    if (this.closed || this.confirmedAt === 0 || this.beating) return;
    const subscribed = this.subscribed;
    if (!subscribed) return;
    this.beating = true;
    const generation = this.generation;
    const sentAt = this.owner.now();
    Promise.all([this.sub.connection.ping(), this.data.call('CLIENT', 'TRACKINGINFO')])
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
        this.sub.restart();
      })
      .finally(() => {
        this.beating = false;
      });
  }

  private readonly onDataReady = (): void => {
    // The socket's end of stream comes a turn or two before the client's `close`: a request read
    // in between must not be served from a copy the server no longer covers.
    const stream = this.data.stream;
    stream.once('end', () => {
      if (this.data.stream === stream && !this.closed) this.onDataClosed();
    });
    void this.setUpTracking();
  };

  private readonly onDataClosed = (): void => {
    this.down('the tracked connection closed');
  };

  private down(reason: string): void {
    this.generation++;
    this.confirmedAt = 0;
    if (!this.closed) this.owner.lost(reason);
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
