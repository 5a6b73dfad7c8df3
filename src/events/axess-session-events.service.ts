import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import type { AxessSessionEvent, AxessSessionEventOf, AxessSessionEventType } from './session-event.types.js';

/** A listener of one event type. */
export type AxessSessionListener<T extends AxessSessionEventType> = (event: AxessSessionEventOf<T>) => unknown;

/** What `emit` takes: an event without its instant (the emitter stamps it). */
export type AxessSessionEventInput = AxessSessionEvent extends infer E ? (E extends AxessSessionEvent ? Omit<E, 'at'> : never) : never;

/**
 * Session lifecycle events, each with user id, session id and reason, delivered synchronously
 * inside the request that caused them (do slow work asynchronously). On Valkey, sign-ins and ended
 * sessions of other instances arrive too, marked `remote: true`; pub/sub delivers at most once, so
 * `onMissedEvents` says when to re-check. A listener that throws is logged, never breaks the request.
 *
 * @example
 * constructor(events: AxessSessionEvents) {
 *   events.on('evicted', (e) => audit.log(`${e.sessionId} of ${e.userId} evicted by ${e.bySessionId}`));
 * }
 */
@Injectable()
export class AxessSessionEvents {
  private readonly logger = new Logger('AxessSession');
  private readonly byType = new Map<AxessSessionEventType, Set<(event: AxessSessionEvent) => unknown>>();
  private readonly any = new Set<(event: AxessSessionEvent) => unknown>();
  private readonly missed = new Set<() => unknown>();

  constructor(private readonly clock: Clock) {}

  /** Subscribes to one event type; returns a function that unsubscribes. */
  on<T extends AxessSessionEventType>(type: T, listener: AxessSessionListener<T>): () => void {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    const wrapped = listener as (event: AxessSessionEvent) => unknown;
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  /** Subscribes to every event; returns a function that unsubscribes. */
  onAny(listener: (event: AxessSessionEvent) => unknown): () => void {
    this.any.add(listener);
    return () => void this.any.delete(listener);
  }

  /**
   * Subscribes to "events from other instances may have been missed": called after the
   * subscription to Valkey was re-established (a reconnect, a failover), once it is in place
   * again. Returns a function that unsubscribes.
   */
  onMissedEvents(listener: () => unknown): () => void {
    this.missed.add(listener);
    return () => void this.missed.delete(listener);
  }

  /** Delivers an event to its listeners now, stamped with the clock's instant. */
  emit(input: AxessSessionEventInput): void {
    if ((this.byType.get(input.type)?.size ?? 0) === 0 && this.any.size === 0) return;
    this.deliver({ ...input, at: this.clock.now() });
  }

  /** Delivers an event of another instance, as it arrived (already stamped and marked remote). @internal */
  deliverRemote(event: AxessSessionEvent): void {
    this.deliver({ ...event, remote: true });
  }

  /** Tells the `onMissedEvents` listeners. @internal */
  reportMissedEvents(): void {
    for (const listener of this.missed) this.call(listener, undefined);
  }

  private deliver(event: AxessSessionEvent): void {
    for (const listener of [...(this.byType.get(event.type) ?? []), ...this.any]) this.call(listener, event);
  }

  /** Calls a listener (of `event`, or of missed events); what it throws or rejects with is logged. */
  private call(listener: (event: AxessSessionEvent) => unknown, event: AxessSessionEvent | undefined): void {
    try {
      const result = event ? listener(event) : (listener as () => unknown)();
      if (result instanceof Promise) result.catch((error: unknown) => this.report(event, error));
    } catch (error) {
      this.report(event, error);
    }
  }

  private report(event: AxessSessionEvent | undefined, error: unknown): void {
    const what = event ? `A session event listener failed on '${event.type}'` : 'A missed-events listener failed';
    this.logger.error(
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }
}
