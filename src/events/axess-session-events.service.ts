import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import type { AxessSessionEvent, AxessSessionEventOf, AxessSessionEventType } from './session-event.types.js';

/** A listener of one event type. */
export type AxessSessionListener<T extends AxessSessionEventType> = (event: AxessSessionEventOf<T>) => unknown;

/** What `emit` takes: an event without its instant (the emitter stamps it). */
export type AxessSessionEventInput = AxessSessionEvent extends infer E ? (E extends AxessSessionEvent ? Omit<E, 'at'> : never) : never;

/**
 * Session lifecycle events (created, authenticated, evicted, revoked, logged-out,
 * expired-on-access, rejected), each with user id, session id and reason.
 *
 * Delivery is synchronous and in-process: listeners run inside the request (or service call)
 * that caused the event, on this app instance only; other instances behind a load balancer do
 * not see it. A listener that throws or rejects is logged and never breaks the request.
 * Do slow work (audit writes, e-mails) asynchronously from the listener.
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

  /** Delivers an event to its listeners now, stamped with the clock's instant. */
  emit(input: AxessSessionEventInput): void {
    const listeners = [...(this.byType.get(input.type) ?? []), ...this.any];
    if (listeners.length === 0) return;
    const event = { ...input, at: this.clock.now() };
    for (const listener of listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.report(event, error));
      } catch (error) {
        this.report(event, error);
      }
    }
  }

  private report(event: AxessSessionEvent, error: unknown): void {
    this.logger.error(
      `A session event listener failed on '${event.type}': ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }
}
