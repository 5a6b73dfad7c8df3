import type { SessionRecord } from '../codec/session-record.js';
import { SessionStore, type LoadOptions, type SaveMode } from '../store/session-store.js';
import type { SessionStoreCapability } from '../store/store-capabilities.js';
import type { AxessTelemetry } from './axess-telemetry.js';
import { instrumentedCall, InstrumentedOperation } from './instrumented-call.js';

/** The operations of a `SessionStore`, each recorded under its own name (`rotate` as a `cycle`: the same commands). */
const STORE_OPERATIONS = [
  'load',
  'save',
  'delete',
  'cycle',
  'existing',
  'remainingTtl',
  'markGone',
  'goneReason',
  'expire',
  'ping',
] as const;

type StoreOperationName = (typeof STORE_OPERATIONS)[number];

/**
 * A `SessionStore` that records each call of the store it wraps: a span, its duration and its
 * failures (see `AxessTelemetry`). It stacks on any store (Valkey, memory, a custom one, a
 * cache in front of one) and changes nothing of what the calls do or answer. `sessionIds` is not
 * recorded per step (`revokeEveryone`'s span covers the sweep), nor `close`.
 */
export class InstrumentedSessionStore extends SessionStore {
  private readonly operations: Record<StoreOperationName, InstrumentedOperation>;

  constructor(
    /** The store whose calls are recorded. */
    readonly inner: SessionStore,
    private readonly telemetry: AxessTelemetry,
  ) {
    super();
    const backend = inner.backend;
    // Each call of the Valkey store is one round trip (none when there is nothing to send, e.g. no ids).
    const roundTrips = backend === 'valkey' ? 1 : undefined;
    this.operations = Object.fromEntries(
      STORE_OPERATIONS.map((name) => [name, new InstrumentedOperation(name, 'store', backend, roundTrips)]),
    ) as Record<StoreOperationName, InstrumentedOperation>;
  }

  private call<T>(name: StoreOperationName, run: () => Promise<T>): Promise<T> {
    return instrumentedCall(this.telemetry, this.operations[name], run);
  }

  load(id: string, options?: LoadOptions): Promise<SessionRecord | null> {
    return this.call('load', () => this.inner.load(id, options));
  }
  save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean> {
    return this.call('save', () => this.inner.save(id, record, ttlMs, options));
  }
  delete(...ids: string[]): Promise<void> {
    return this.call('delete', () => this.inner.delete(...ids));
  }
  cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    return this.call('cycle', () => this.inner.cycle(oldId, newId, record, ttlMs));
  }
  override rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    return this.call('cycle', () => this.inner.rotate(oldId, newId, record, ttlMs));
  }
  override existing(ids: readonly string[]): Promise<Set<string>> {
    return this.call('existing', () => this.inner.existing(ids));
  }
  override remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    return this.call('remainingTtl', () => this.inner.remainingTtl(ids));
  }
  override markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    return this.call('markGone', () => this.inner.markGone(ids, reason, ttlMs));
  }
  override goneReason(id: string): Promise<string | undefined> {
    return this.call('goneReason', () => this.inner.goneReason(id));
  }
  override expire(id: string, ttlMs: number): Promise<boolean> {
    return this.call('expire', () => this.inner.expire(id, ttlMs));
  }
  override ping(): Promise<void> {
    return this.call('ping', () => this.inner.ping());
  }
  override sessionIds(): AsyncGenerator<string[]> {
    return this.inner.sessionIds();
  }
  override supports(capability: SessionStoreCapability): boolean {
    return this.inner.supports(capability);
  }
  override get backend(): string {
    return this.inner.backend;
  }
  override close(): Promise<void> {
    return this.inner.close();
  }
}

/** `store` with its calls recorded, or `store` itself when telemetry records nothing (no cost then). */
export function instrumentStore(store: SessionStore, telemetry: AxessTelemetry): SessionStore {
  return telemetry.on ? new InstrumentedSessionStore(store, telemetry) : store;
}
