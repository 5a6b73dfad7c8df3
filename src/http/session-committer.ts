import { Injectable, Logger, Optional } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { mintSessionId } from '../crypto/session-id.js';
import { StoreFailureLog } from '../errors/store-failure.log.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { createSessionRecord } from '../store/create-session-record.js';
import { SessionStore } from '../store/session-store.js';
import { AxessTelemetry } from '../telemetry/axess-telemetry.js';
import type { AxessSession } from './axess-session.js';
import { DEFAULT_RESPONSE_CACHE_POLICY, ResponseCachePolicy } from './response-cache-policy.js';
import { headersSent, responseSink, writeSessionCookie, type TakenCookie } from './response-cookies.js';
import { SessionCookie } from './session-cookie.js';
import { SessionState, sessionStateOf } from './session-state.js';
import { asServiceUnavailable } from './store-unavailable.js';

/**
 * Writes a changed session back: new → `create`, existing → `update` (never brings back a session
 * ended meanwhile), `regenerate()` → `cycle`, `destroy()` → delete; the TTL is the idle timeout cut
 * at the absolute deadline. The cookie is set only when the id changed or the session ended.
 */
@Injectable()
export class SessionCommitter {
  private readonly logger = new Logger('AxessSession');

  constructor(
    private readonly store: SessionStore,
    private readonly registry: SessionRegistry,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
    private readonly cookie: SessionCookie,
    private readonly events: AxessSessionEvents,
    private readonly failures: StoreFailureLog,
    private readonly telemetry: AxessTelemetry,
    /** Whether a logout's cleared cookie comes with `Clear-Site-Data` (`clearSiteDataOnLogout`). */
    @Optional() private readonly cachePolicy: ResponseCachePolicy = DEFAULT_RESPONSE_CACHE_POLICY,
  ) {}

  /**
   * Flushes `session`'s changes and sets the cookie on `response` (Express or Fastify) now.
   * The middleware already commits when the response goes out; call this only to commit earlier.
   */
  async commit(session: AxessSession, response: unknown): Promise<void> {
    const state = sessionStateOf(session);
    state.settle();
    if (!state.pending) return;
    await this.flush(state);
    this.setCookie(state, response);
  }

  /** True when the commit must talk to the store (a write or a delete), not only set a cookie. */
  needsStore(state: SessionState): boolean {
    return state.dirty || state.regenerate || state.doomed.length > 0;
  }

  /** Writes and deletes what the request changed; backend failures become HTTP 503. */
  async flush(state: SessionState): Promise<void> {
    // Sessions ended by `destroy()`: a logout like the service's, told to listeners (and other instances) once deleted.
    const destroyed = state.doomed.slice();
    try {
      await this.deleteDoomed(state, SessionEndReason.loggedOut);
      await this.write(state);
    } catch (error) {
      throw asServiceUnavailable(error, this.failures, 'a session write');
    }
    for (const { id, userId } of destroyed)
      this.events.emit({ type: 'logged-out', userId, sessionId: id, reason: SessionEndReason.loggedOut });
    this.telemetry.sessionsEnd(SessionEndReason.loggedOut, destroyed.length);
  }

  /** The `Set-Cookie` change the response must carry once flushed, or `undefined`; it counts as sent once taken. */
  takeCookie(state: SessionState): TakenCookie | undefined {
    const id = state.cookieId;
    const clear = state.clearCookie && id === undefined;
    state.cookieId = undefined;
    state.clearCookie = false;
    if (id === undefined && !clear) return undefined;
    if (id !== undefined && !state.record) return undefined;
    // Cleared only because the session was logged out or destroyed (the flag's only setters).
    if (id === undefined)
      return { value: this.cookie.serializeCleared(state.request), clearSiteData: this.cachePolicy.clearSiteDataOnLogout };
    const now = this.clock.nowMs();
    return { value: this.cookie.serialize(id, this.lifetime.cookieExpiry(state.record!, now), now, state.request), clearSiteData: false };
  }

  /** Says that a cookie change could not reach the client (the headers were already out). */
  warnCookieTooLate(): void {
    this.logger.warn(
      'The response headers were sent before the session was committed (e.g. a stream started first): the session cookie could not be set.',
    );
  }

  /** Ends the doomed sessions in one round trip: with `reason` a marker says why; without (an id the client never saw) a plain delete. */
  private async deleteDoomed(state: SessionState, reason?: string): Promise<void> {
    const doomed = state.doomed.splice(0);
    if (doomed.length === 0) return;
    const ids = doomed.map(({ id }) => id);
    await Promise.all([
      reason === undefined ? this.store.delete(...ids) : this.store.markGone(ids, reason, this.lifetime.goneMarkerTtlMs),
      ...doomed.flatMap(({ id, userId }) => (userId === undefined ? [] : [this.registry.unregister(userId, id)])),
    ]);
  }

  private async write(state: SessionState): Promise<void> {
    const record = state.record;
    if (!record || !(state.dirty || state.regenerate)) return;
    const now = this.clock.nowMs();
    const ttl = this.lifetime.ttl(record, now);
    if (ttl < 1) {
      // The absolute deadline passed during the request: the session is over, not rewritten.
      const id = state.storedId;
      if (id) state.doomed.push({ id, userId: record.userId });
      state.forget();
      await this.deleteDoomed(state, SessionEndReason.absoluteTimeout);
      if (id) {
        this.events.emit({ type: 'expired-on-access', userId: record.userId, sessionId: id, reason: SessionEndReason.absoluteTimeout });
        this.telemetry.sessionsEnd(SessionEndReason.absoluteTimeout);
      }
      return;
    }
    if (state.storedId === undefined) {
      // The id a handler already read (`req.session.id`) is the one created.
      const id = state.takeProposedId() ?? mintSessionId();
      await createSessionRecord(this.store, id, record, ttl);
      state.storedId = id;
      state.cookieId = id;
      this.events.emit({ type: 'created', userId: record.userId, sessionId: id, reason: 'first-write' });
    } else if (state.regenerate) {
      await this.moveToNewId(state, state.storedId, ttl);
    } else if (!(await this.store.save(state.storedId, record, ttl, { mode: 'update' }))) {
      // Ended meanwhile: it stays gone (I3, docs/architecture.md); the cookie is left to a concurrent request's newer one.
      state.forget();
    }
    state.dirty = false;
    state.regenerate = false;
  }

  /** `regenerate()`: the record moves to a fresh id; a user's registry follows it. */
  private async moveToNewId(state: SessionState, oldId: string, ttl: number): Promise<void> {
    const record = state.record!;
    const newId = mintSessionId();
    await this.store.cycle(oldId, newId, record, ttl);
    state.storedId = newId;
    state.cookieId = newId;
    const userId = record.userId;
    if (userId === undefined) return;
    // A session revoked meanwhile (old id no longer a member): the new id must not outlive it.
    const [, members] = await Promise.all([this.registry.register(userId, newId), this.registry.members(userId)]);
    if (!members.some((m) => m.sessionId === oldId)) {
      state.doomed.push({ id: newId, userId });
      state.forget();
      await this.deleteDoomed(state);
      return;
    }
    await this.registry.unregister(userId, oldId);
  }

  /** Sets a final cookie change (a completed login's) now: a later guard's refusal cannot lose the cookie of a session that exists. */
  sendPendingCookie(session: AxessSession, response: unknown): void {
    this.setCookie(sessionStateOf(session), response);
  }

  private setCookie(state: SessionState, response: unknown): void {
    if (!response) return;
    if (headersSent(response)) {
      if (state.cookieId !== undefined || state.clearCookie) this.warnCookieTooLate();
      state.cookieId = undefined;
      state.clearCookie = false;
      return;
    }
    const cookie = this.takeCookie(state);
    if (cookie === undefined) return;
    writeSessionCookie(responseSink(response), cookie);
  }
}

export type { TakenCookie } from './response-cookies.js';
