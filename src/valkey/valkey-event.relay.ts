import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PacedLogger } from '../errors/paced-logger.js';
import { randomBytes } from 'node:crypto';
import type { SessionCipher } from '../crypto/session-cipher.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { RELAYED_EVENT_TYPES, type AxessSessionEvent, type AxessSessionEventType } from '../events/session-event.types.js';
import { subscriberConnectionName, ValkeyChannelSubscriber } from './valkey-channel.subscriber.js';
import type { ValkeyClient } from './valkey-client.js';

/** What a relayed event looks like on the wire (JSON, then sealed). */
interface WireEvent {
  /** Format version. */
  v: 1;
  /** The publishing instance: an instance ignores its own messages. */
  i: string;
  t: AxessSessionEventType;
  u?: string;
  s?: string;
  r: string;
  b?: string;
  /** `at`, epoch ms. */
  a: number;
}

/** The associated data messages are sealed with: never a session id (those have no ':'), so a message never opens as a record. */
const SEAL_LABEL = 'axess-event:v1';

/** Largest message read; anything longer is dropped unread. */
const MAX_MESSAGE_BYTES = 16 * 1024;

/** Options of {@link ValkeyEventRelay}. */
export interface ValkeyEventRelayOptions {
  /** The module's key prefix: the channel is `{prefix}:events`. */
  prefix: string;
  /** Seals each message (the records' cipher): other instances only accept messages sealed with the deployment's key. */
  cipher: SessionCipher;
}

/**
 * Tells the app's other instances about sign-ins and ended sessions through Valkey pub/sub, and
 * delivers theirs to this instance's `AxessSessionEvents`, marked `remote`. Each message is an
 * explicit publication by the instance that ended the session (it knows why), not a keyspace
 * notification: those are off by default, per node, and say nothing about the reason.
 *
 * - Single node and Sentinel: `PUBLISH` / `SUBSCRIBE` on `{prefix}:events`. Cluster: sharded
 *   pub/sub (`SPUBLISH` / `SSUBSCRIBE`), so the messages stay on the shard that owns the channel.
 * - Messages are sealed with the module's cipher (AES-256-GCM by default): a client that may
 *   subscribe reads no session id, and one that may publish cannot forge an event.
 * - Pub/sub delivers at most once. When the subscription is re-established, the events service
 *   reports missed events (`onMissedEvents`) so that what depends on them is checked again.
 */
export class ValkeyEventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new PacedLogger();
  /** Tells this instance's messages from the others'. */
  readonly instanceId = randomBytes(12).toString('base64url');
  readonly channel: string;
  private readonly subscriber: ValkeyChannelSubscriber | undefined;
  private stopListening: (() => void) | undefined;

  /** `client` undefined (the in-memory store: one process, nobody to tell): the relay does nothing. */
  constructor(
    private readonly client: ValkeyClient | undefined,
    private readonly events: AxessSessionEvents,
    private readonly options: ValkeyEventRelayOptions,
  ) {
    this.channel = `${options.prefix}:events`;
    this.subscriber =
      client &&
      new ValkeyChannelSubscriber(client, this.channel, {
        message: (payload) => this.receive(payload),
        resubscribed: () => events.reportMissedEvents(),
      });
  }

  /** The client name of the subscriber connection (`CLIENT LIST`). */
  get connectionName(): string {
    return subscriberConnectionName(this.channel);
  }

  /** True while the subscription is in place (always false without Valkey). */
  get subscribed(): boolean {
    return this.subscriber?.subscribed ?? false;
  }

  /**
   * Subscribes once every module has initialised: a boot refused during init (the key ring, say)
   * never reaches this hook, so it leaves no subscriber behind (Nest closes nothing after a failed
   * init). `app.init()` runs it too.
   */
  onApplicationBootstrap(): void {
    if (!this.subscriber) return;
    this.stopListening = this.events.onAny((event) => this.relay(event));
    this.subscriber.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopListening?.();
    await this.subscriber?.close();
  }

  /** Publishes a local event of a relayed type. Never throws: a failed publication is logged. */
  private relay(event: AxessSessionEvent): void {
    if (event.remote || !RELAYED_EVENT_TYPES.has(event.type)) return;
    const wire: WireEvent = {
      v: 1,
      i: this.instanceId,
      t: event.type,
      ...(event.userId === undefined ? {} : { u: event.userId }),
      ...(event.sessionId === undefined ? {} : { s: event.sessionId }),
      r: event.reason,
      ...(event.type === 'evicted' ? { b: event.bySessionId } : {}),
      a: event.at.getTime(),
    };
    let message: Buffer;
    try {
      message = this.options.cipher.seal(SEAL_LABEL, Buffer.from(JSON.stringify(wire), 'utf8'));
    } catch (error) {
      this.logError('Could not seal a session event for the other instances', error);
      return;
    }
    const client = this.client!;
    const published = client.isCluster ? client.spublish(this.channel, message) : client.publish(this.channel, message);
    published.catch((error: unknown) => this.logError('Could not publish a session event to the other instances', error));
  }

  private receive(payload: Buffer): void {
    if (payload.length > MAX_MESSAGE_BYTES) return;
    let wire: WireEvent;
    try {
      wire = JSON.parse(this.options.cipher.open(SEAL_LABEL, payload).toString('utf8')) as WireEvent;
    } catch {
      // Not sealed with this deployment's keys (another app on the prefix, a forgery): dropped.
      this.logError('Dropped a session event that does not open with this deployment’s keys', undefined);
      return;
    }
    if (wire.i === this.instanceId) return;
    const event = eventOf(wire);
    if (event) this.events.deliverRemote(event);
  }

  /** Paced: a relay that keeps failing must not flood the log. */
  private logError(what: string, error: unknown): void {
    const detail = error instanceof Error ? `: ${error.message}` : error === undefined ? '' : `: ${JSON.stringify(error)}`;
    this.log.warn('relay', what + detail);
  }
}

const optionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string';

/** The event a well-formed message carries, or `undefined`. */
function eventOf(wire: WireEvent): AxessSessionEvent | undefined {
  if (typeof wire !== 'object' || wire === null || wire.v !== 1) return undefined;
  if (!RELAYED_EVENT_TYPES.has(wire.t) || typeof wire.r !== 'string' || typeof wire.a !== 'number') return undefined;
  if (!optionalString(wire.u) || !optionalString(wire.s) || !optionalString(wire.b)) return undefined;
  const base = {
    ...(wire.u === undefined ? {} : { userId: wire.u }),
    ...(wire.s === undefined ? {} : { sessionId: wire.s }),
    reason: wire.r,
    at: new Date(wire.a),
  };
  if (wire.t === 'evicted') return typeof wire.b === 'string' ? { type: 'evicted', ...base, bySessionId: wire.b } : undefined;
  return { type: wire.t, ...base };
}
