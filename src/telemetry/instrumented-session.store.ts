import type { SessionRecord } from '../codec/session-record.js';
import { SessionStore, type LoadOptions, type SaveMode } from '../store/session-store.js';
import type { AxessTelemetry } from './axess-telemetry.js';
import { instrumentedCall, InstrumentedOperation } from './instrumented-call.js';

/** The operations of a `SessionStore`, each recorded under its own name. */
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
 * cache in front of one) and changes nothing of what the calls do or answer.
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

  load(id: string, options?: LoadOptions): Promise<SessionRecord | null> {
    return instrumentedCall(this.telemetry, this.operations.load, () => this.inner.load(id, options));
  }

  save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean> {
    return instrumentedCall(this.telemetry, this.operations.save, () => this.inner.save(id, record, ttlMs, options));
  }

  delete(...ids: string[]): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.delete, () => this.inner.delete(...ids));
  }

  cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.cycle, () => this.inner.cycle(oldId, newId, record, ttlMs));
  }

  /** Recorded as a `cycle`: the same commands in one round trip (a losing rotation adds a DEL). */
  override rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    return instrumentedCall(this.telemetry, this.operations.cycle, () => this.inner.rotate(oldId, newId, record, ttlMs));
  }

  existing(ids: readonly string[]): Promise<Set<string>> {
    return instrumentedCall(this.telemetry, this.operations.existing, () => this.inner.existing(ids));
  }

  remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    return instrumentedCall(this.telemetry, this.operations.remainingTtl, () => this.inner.remainingTtl(ids));
  }

  markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.markGone, () => this.inner.markGone(ids, reason, ttlMs));
  }

  /** Not recorded per step: `revokeEveryone`'s span covers the sweep. */
  override sessionIds(): AsyncGenerator<string[]> {
    return this.inner.sessionIds();
  }

  goneReason(id: string): Promise<string | undefined> {
    return instrumentedCall(this.telemetry, this.operations.goneReason, () => this.inner.goneReason(id));
  }

  override expire(id: string, ttlMs: number): Promise<boolean> {
    return instrumentedCall(this.telemetry, this.operations.expire, () => this.inner.expire(id, ttlMs));
  }

  override ping(): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.ping, () => this.inner.ping());
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
