import { SessionRegistry, type AdmitOptions, type RegisteredSession } from '../registry/session-registry.js';
import type { AxessTelemetry } from './axess-telemetry.js';
import { instrumentedCall, InstrumentedOperation } from './instrumented-call.js';

/**
 * The operations of a `SessionRegistry`: the round trips each takes on Valkey where that count is
 * fixed (`admit` takes up to 4: its store calls appear as child spans), and whether it calls the
 * store itself (its span is then made active, so that those calls become its children).
 */
const REGISTRY_OPERATIONS = {
  register: { roundTrips: 1, parent: false },
  unregister: { roundTrips: 1, parent: false },
  isValid: { roundTrips: 1, parent: true },
  members: { roundTrips: 1, parent: false },
  admit: { roundTrips: undefined, parent: true },
  invalidateUser: { roundTrips: 3, parent: true },
} as const;

type RegistryOperationName = keyof typeof REGISTRY_OPERATIONS;

/**
 * A `SessionRegistry` that records each call of the registry it wraps: a span, its duration and
 * its failures (see `AxessTelemetry`); an admission's span carries how many sessions it evicted
 * and whether it was refused.
 * It changes nothing of what the calls do or answer.
 */
export class InstrumentedSessionRegistry extends SessionRegistry {
  private readonly operations: Record<RegistryOperationName, InstrumentedOperation>;

  /**
   * @param inner the registry whose calls are recorded
   * @param backend which backend it runs on (`valkey` gives spans their round trips)
   */
  constructor(
    readonly inner: SessionRegistry,
    private readonly telemetry: AxessTelemetry,
    backend: string,
  ) {
    super();
    this.operations = Object.fromEntries(
      Object.entries(REGISTRY_OPERATIONS).map(([name, { roundTrips, parent }]) => [
        name,
        new InstrumentedOperation(name, 'registry', backend, backend === 'valkey' ? roundTrips : undefined, parent),
      ]),
    ) as Record<RegistryOperationName, InstrumentedOperation>;
  }

  override register(userId: string, sessionId: string): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.register, () => this.inner.register(userId, sessionId));
  }

  unregister(userId: string, sessionId: string): Promise<void> {
    return instrumentedCall(this.telemetry, this.operations.unregister, () => this.inner.unregister(userId, sessionId));
  }

  override isValid(userId: string, sessionId: string): Promise<boolean> {
    return instrumentedCall(this.telemetry, this.operations.isValid, () => this.inner.isValid(userId, sessionId));
  }

  members(userId: string): Promise<RegisteredSession[]> {
    return instrumentedCall(this.telemetry, this.operations.members, () => this.inner.members(userId));
  }

  admit(userId: string, sessionId: string, maxSessions: number, options?: AdmitOptions): Promise<string[] | null> {
    return instrumentedCall(
      this.telemetry,
      this.operations.admit,
      () => this.inner.admit(userId, sessionId, maxSessions, options),
      // A refusal is an answer, not a failure: the span says so and stays OK.
      (evicted) => ({ 'axess.max_sessions': maxSessions, 'axess.evicted_count': evicted?.length ?? 0, 'axess.refused': evicted === null }),
    );
  }

  invalidateUser(userId: string): Promise<string[]> {
    return instrumentedCall(this.telemetry, this.operations.invalidateUser, () => this.inner.invalidateUser(userId));
  }
}

/** `registry` with its calls recorded, or `registry` itself when telemetry records nothing (no cost then). */
export function instrumentRegistry(registry: SessionRegistry, telemetry: AxessTelemetry, backend: string): SessionRegistry {
  return telemetry.on ? new InstrumentedSessionRegistry(registry, telemetry, backend) : registry;
}
