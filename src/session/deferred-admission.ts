import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { PacedLogger } from '../errors/paced-logger.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { PendingAdmission } from '../http/pending-admission.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';
import { AxessTelemetry } from '../telemetry/axess-telemetry.js';
import { admitLogin } from './login-admission.js';

/**
 * Registers a session that a `failOpen` login let through unregistered, on its first request once
 * the registry answers again: the normal admission under the cap recorded at sign-in (the oldest
 * sessions beyond it are evicted, marked, told and counted like at any sign-in; a late admission
 * is never refused, the user is already signed in), then the flag is cleared. Until then the
 * session is invisible to `listSessions`, `revokeAll` and the cap.
 */
@Injectable()
export class DeferredAdmission extends PendingAdmission {
  private readonly paced = new PacedLogger();

  /** Created by Nest's injector from the module's providers. @internal */
  constructor(
    private readonly store: SessionStore,
    private readonly registry: SessionRegistry,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
    private readonly events: AxessSessionEvents,
    private readonly telemetry: AxessTelemetry,
  ) {
    super();
  }

  async complete(id: string, record: SessionRecord): Promise<void> {
    const userId = record.userId;
    const cap = record.pendingAdmission;
    if (userId === undefined || cap === undefined) return;
    try {
      const limit = { cap: cap === 0 ? undefined : cap, onLimit: 'evict-oldest' as const };
      const evicted =
        (await admitLogin(this.registry, this.store, userId, id, limit, Promise.resolve(), this.lifetime.goneMarkerTtlMs)) ?? [];
      const { pendingAdmission: _done, ...admitted } = record;
      // Update mode: a session ended meanwhile stays ended (I3).
      await this.store.save(id, admitted, Math.max(1, this.lifetime.ttl(admitted, this.clock.nowMs())), { mode: 'update' });
      delete record.pendingAdmission;
      for (const victim of evicted)
        this.events.emit({ type: 'evicted', userId, sessionId: victim, bySessionId: id, reason: SessionEndReason.evicted });
      this.telemetry.sessionsEnd(SessionEndReason.evicted, evicted.length);
    } catch (error) {
      this.paced.warn(
        'pending-admission',
        `A session let in by failOpen is still unregistered; its next request tries again: ${String(error)}`,
      );
    }
  }
}
