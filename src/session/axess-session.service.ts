import { Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { SessionHandles } from '../crypto/session-handle.js';
import { isSessionId, mintSessionId } from '../crypto/session-id.js';
import { StoreFailureLog } from '../errors/store-failure.log.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { clientInfo } from '../http/client-info.js';
import { SessionCommitter } from '../http/session-committer.js';
import { getAxessSession } from '../http/session-request.js';
import { sessionStateOf } from '../http/session-state.js';
import { asServiceUnavailable, isBackendFailure } from '../http/store-unavailable.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { assertUserId } from '../registry/user-id.js';
import { createSessionRecord } from '../store/create-session-record.js';
import { SessionStore } from '../store/session-store.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { AxessTelemetry } from '../telemetry/axess-telemetry.js';
import { asConfirmation, confirmingUser } from './confirm-authentication.js';
import { admitLogin, discardRecord, leavePreviousUser, loginLimitFor } from './login-admission.js';
import { LoginPolicy } from './login-policy.js';
import { rememberedAfterLogin } from './remember-me.js';
import { inRevocationSpan } from './revocation-span.js';
import { AxessSessionLimitException } from './session-limit.exception.js';
import { listUserSessions } from './session-listing.js';
import { SessionRevocation } from './session-revocation.js';
import { AxessConcurrentRotationException, rotateSignedIn } from './session-rotation.js';
import type { AuthenticateOptions, AuthenticateResult, SessionInfo } from './session-info.js';

/**
 * Logins, logouts and session management for the app's own code (with or without passport).
 * `authenticate` is what `MaxSessionsGuard` calls once the app's auth guard has set `req.user`.
 * Backend failures surface as `ServiceUnavailableException` (HTTP 503) with the cause attached.
 */
@Injectable()
export class AxessSessionService {
  private readonly logger = new Logger('AxessSession');
  private readonly markerTtlMs: number;
  private readonly revocation: SessionRevocation;

  /** Created by Nest's injector from the module's providers. @internal */
  constructor(
    private readonly store: SessionStore,
    private readonly registry: SessionRegistry,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
    private readonly policy: LoginPolicy,
    private readonly committer: SessionCommitter,
    private readonly events: AxessSessionEvents,
    private readonly failures: StoreFailureLog,
    private readonly telemetry: AxessTelemetry,
    private readonly handles: SessionHandles,
  ) {
    this.markerTtlMs = policy.goneMarkerTtlMs;
    const backend = <T>(operation: () => Promise<T>): Promise<T> => this.backend(operation);
    this.revocation = new SessionRevocation({ store, registry, events, telemetry, handles, markerTtlMs: this.markerTtlMs, backend });
  }

  /** The module's login settings, for `MaxSessionsGuard` (a subclass then needs only this service and a `Reflector`). @internal */
  get loginPolicy(): LoginPolicy {
    return this.policy;
  }

  /**
   * Completes a login on this request's session: rotates its id (session-fixation defence; the
   * old record is deleted), binds `userId`, restarts the absolute lifetime, records the client,
   * and admits the session under the cap, evicting (deleting) the user's oldest sessions beyond
   * it, or, with `onSessionLimit: 'refuse'`, refusing the login with a 409 and changing nothing.
   * A re-sign-in (a session already bound to this user) rotates too, keeping its data; its
   * old id is swapped for the new one in one admission, so no other session of the user is
   * evicted (or refused) for it. Of concurrent re-sign-ins of one session one wins; the others get a 409.
   *
   * Round trips: ≤ 4 on top of the request's load (write ∥ registry read, liveness check,
   * admission script, deletion of the evicted). When admission fails on a backend error the
   * login fails with a 503 and the new session is deleted, unless the module's `failOpen` is set.
   */
  async authenticate(req: unknown, userId: string, options: AuthenticateOptions = {}): Promise<AuthenticateResult> {
    // The span of the whole login: the store and registry calls below are its children.
    return this.telemetry.inSpan('axess.login', {}, async (span) => {
      try {
        const result = await this.login(req, userId, options);
        this.telemetry.login('admitted');
        this.telemetry.sessionsEnd(SessionEndReason.evicted, result.evicted.length);
        span?.setAttributes({ 'axess.outcome': 'admitted', 'axess.evicted_count': result.evicted.length });
        return result;
      } catch (error) {
        const outcome = error instanceof AxessSessionLimitException ? 'refused' : 'failed';
        this.telemetry.login(outcome);
        span?.setAttribute('axess.outcome', outcome);
        throw error;
      }
    });
  }

  private async login(req: unknown, userId: string, options: AuthenticateOptions): Promise<AuthenticateResult> {
    const session = getAxessSession(req);
    assertUserId(userId);
    const state = sessionStateOf(session);
    // A re-sign-in: new id, data kept, fresh authenticatedAt (ASVS 7.2.4), counted once.
    const resign = state.storedId !== undefined && state.record?.userId === userId;
    const user = 'user' in options ? options.user : (req as { user?: unknown } | null)?.user;
    const limit = await loginLimitFor(this.policy, options, user);
    // A login that may be refused must leave the request's session as it was: the new record is
    // created beside the old one, which is deleted (and its user's registry told) once admitted.
    // A re-sign-in replaces its own member, so it is never refused.
    const refusable = limit.onLimit === 'refuse' && !resign;
    const now = this.clock.nowMs();
    const previous = state.record;
    const oldId = state.storedId;
    // Data gathered before the login (e.g. a cart) comes along; another user's data never does.
    const carried = previous && (previous.userId === undefined || resign) ? { ...previous.data } : {};
    const record: SessionRecord = {
      data: carried,
      ...(resign && previous?.cookieMaxAgeMs !== undefined ? { cookieMaxAgeMs: previous.cookieMaxAgeMs } : {}),
      ...(rememberedAfterLogin(options.rememberMe, resign, previous) ? { remembered: true } : {}),
      createdAt: now,
      userId,
      authenticatedAt: now,
      ...(this.policy.captureClientInfo ? clientInfo(req) : {}),
    };
    const ttl = this.lifetime.ttl(record, now);
    const newId = mintSessionId();

    // A capped sign-in retires the pre-login id in its admission (deleted only once admitted).
    const retiring = oldId !== undefined && limit.cap !== undefined && !resign ? oldId : undefined;
    // Issued in the same tick: the admission travels with the write.
    const written =
      oldId === undefined || retiring !== undefined || refusable
        ? createSessionRecord(this.store, newId, record, ttl)
        : resign
          ? rotateSignedIn(this.store, oldId, newId, record, ttl)
          : this.store.cycle(oldId, newId, record, ttl);
    written.catch(() => undefined);
    const ids = { replacing: resign ? oldId : undefined, retiring };
    const admitted = admitLogin(this.registry, this.store, userId, newId, limit, written, this.markerTtlMs, ids);
    // Switching users (or a re-sign-in without a cap): the previous binding's registry forgets the old id.
    // A capped re-sign-in or a confirmation swaps the old id in its admission.
    if (!refusable && !(resign && (limit.cap !== undefined || limit.confirmation))) {
      leavePreviousUser(this.registry, this.logger, previous?.userId, oldId);
    }
    const [write, admission] = await Promise.allSettled([written, admitted]);

    if (write.status === 'rejected') {
      if (write.reason instanceof AxessConcurrentRotationException || write.reason instanceof UnauthorizedException) {
        // The winner holds the session now, or it ended meanwhile (401 with its reason): nothing
        // of this request may be written, nor its cookie cleared.
        state.forget();
        throw write.reason;
      }
      // Not awaited: the 503 does not wait for the cleanup, and discard() never rejects (it logs).
      void discardRecord(this.store, this.logger, newId);
      throw asServiceUnavailable(write.reason, this.failures, 'a login');
    }
    let evicted: string[] = [];
    if (admission.status === 'fulfilled' && admission.value === null) {
      // Refused at the cap: the new record goes, the request's session and cookie stay as they were.
      await discardRecord(this.store, this.logger, newId);
      throw new AxessSessionLimitException();
    } else if (admission.status === 'fulfilled') {
      evicted = admission.value ?? [];
    } else if (admission.reason instanceof UnauthorizedException) {
      // A confirmation whose session was evicted or revoked meanwhile: it stays ended.
      await discardRecord(this.store, this.logger, newId);
      state.forget();
      throw admission.reason;
    } else if (this.policy.failOpen && isBackendFailure(admission.reason)) {
      // Written at commit with the session: its first request once the registry answers admits it.
      record.pendingAdmission = limit.cap ?? 0;
      if (retiring !== undefined) void discardRecord(this.store, this.logger, retiring);
      this.logger.warn(
        `Session admission failed; the login proceeds without it (failOpen): ${admission.reason.message}`,
        admission.reason.stack,
      );
    } else {
      const cause: unknown = admission.reason;
      this.logger.error(
        `Session admission failed; the login is refused (fail closed): ${cause instanceof Error ? cause.message : String(cause)}`,
        cause instanceof Error ? cause.stack : undefined,
      );
      await discardRecord(this.store, this.logger, newId);
      state.forget();
      if (!isBackendFailure(cause)) throw cause;
      throw new ServiceUnavailableException('Session admission failed', { cause });
    }

    // No session fixation: the pre-login id went with the admission (or above, failing open).
    if (refusable && oldId !== undefined) leavePreviousUser(this.registry, this.logger, previous?.userId, oldId);
    state.bindLogin(newId, record);
    if (record.pendingAdmission !== undefined) state.dirty = true;
    if (options.response !== undefined) this.committer.sendPendingCookie(session, options.response);
    this.events.emit({ type: 'authenticated', userId, sessionId: newId, reason: 'login' });
    for (const victim of evicted)
      this.events.emit({ type: 'evicted', userId, sessionId: victim, bySessionId: newId, reason: SessionEndReason.evicted });
    return { sessionId: newId, evicted };
  }

  /** Step-up (`@RequireRecentAuth`): records a fresh authentication once the app re-checked the password; 401 if signed out.
   * A re-sign-in: new id, `authenticatedAt` = now, data kept; the cap is not applied again, so no other session is evicted. */
  async confirmAuthentication(req: unknown, options: Pick<AuthenticateOptions, 'response'> = {}): Promise<AuthenticateResult> {
    return this.authenticate(req, confirmingUser(req), asConfirmation(options));
  }

  /**
   * Logs out: deletes the session's record (leaving a `logged-out` marker) and registry entry now;
   * the cookie is cleared on commit.
   */
  async logout(req: unknown): Promise<void> {
    const state = sessionStateOf(getAxessSession(req));
    const id = state.storedId;
    const userId = state.record?.userId;
    if (id !== undefined) {
      // The member goes once the record's end is done (as in SessionRevocation.sessions).
      await this.backend(async () => {
        await this.store.markGone([id], SessionEndReason.loggedOut, this.markerTtlMs);
        if (userId !== undefined) await this.registry.unregister(userId, id);
      });
    }
    state.forget();
    state.clearCookie = true;
    if (id !== undefined) {
      this.events.emit({ type: 'logged-out', userId, sessionId: id, reason: SessionEndReason.loggedOut });
      this.telemetry.sessionsEnd(SessionEndReason.loggedOut);
    }
  }

  /**
   * The user's live sessions, oldest first, each named by its public `handle` (never its id).
   * `lastSeenAt` is derived from the remaining idle time (each request slides it), so listing
   * costs two round trips and requests write nothing. Needs the module's `signingKey`.
   */
  async listSessions(userId: string, currentSessionId?: string): Promise<SessionInfo[]> {
    assertUserId(userId);
    const backend = <T>(operation: () => Promise<T>): Promise<T> => this.backend(operation);
    const { store, registry, clock, lifetime, handles } = this;
    return listUserSessions({ store, registry, clock, lifetime, handles, backend }, userId, currentSessionId);
  }

  /**
   * Revokes one of the user's sessions: its record and registry entry are deleted now, so its
   * next request has no session. `false` when it is not a live session of this user.
   */
  async revokeSession(userId: string, sessionId: string): Promise<boolean> {
    assertUserId(userId);
    if (!isSessionId(sessionId)) return false;
    return inRevocationSpan(this.telemetry, 'session', () => this.revocation.one(userId, sessionId)).then((ids) => ids.length > 0);
  }

  /**
   * `revokeSession` for a public handle (`SessionInfo.handle`, e.g. from a "sign out" URL): only
   * this user's sessions are searched, compared in constant time, so another user's handle
   * revokes nothing. `false` when no live session of the user has it (a malformed handle too).
   */
  async revokeByHandle(userId: string, handle: string): Promise<boolean> {
    assertUserId(userId);
    return inRevocationSpan(this.telemetry, 'session', () => this.revocation.byHandle(userId, handle)).then((ids) => ids.length > 0);
  }

  /** The public handle of a session id, as `listSessions` gives it (e.g. to mark "this device"); needs `signingKey`. */
  sessionHandle(sessionId: string): string {
    return this.handles.of(sessionId);
  }

  /** Revokes every session of the user (e.g. after a password change); returns their ids. */
  async revokeAll(userId: string): Promise<string[]> {
    assertUserId(userId);
    return inRevocationSpan(this.telemetry, 'all', () => this.revocation.user(userId));
  }

  /** Revokes all of the user's sessions except `keepSessionId` ("sign out other devices"); returns their ids. */
  async revokeOthers(userId: string, keepSessionId: string): Promise<string[]> {
    assertUserId(userId);
    return inRevocationSpan(this.telemetry, 'others', async () => {
      const others = (await this.backend(() => this.registry.members(userId)))
        .map((m) => m.sessionId)
        .filter((id) => id !== keepSessionId && isSessionId(id));
      await this.revocation.sessions(userId, others);
      return others;
    });
  }

  /**
   * Ends every session under the module's prefix, on every instance (ASVS 7.4.5): records
   * deleted with a `revoked:everyone` marker, sockets closed, counted. Every session that
   * existed when the call started is ended; a sign-in completing during the sweep may survive.
   * Costs one round trip per `SCAN` page; ordinary requests pay nothing. @returns how many it ended.
   */
  async revokeEveryone(): Promise<number> {
    return inRevocationSpan(this.telemetry, 'everyone', () => this.revocation.everyone());
  }

  private async backend<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw asServiceUnavailable(error, this.failures, 'session management');
    }
  }
}
